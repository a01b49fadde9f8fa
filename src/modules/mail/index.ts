export { emailOutbox } from './mail.table.ts';
export { enqueueEmail, listOutbox, type OutboxEntry, type OutgoingEmail } from './mail.service.ts';
