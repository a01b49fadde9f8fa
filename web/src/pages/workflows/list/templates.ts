// Starter workflows offered to a tenant that has none yet: each is a valid definition that can be
// created in one click and then opened in the editor.
export interface WorkflowTemplate {
  key: string;
  name: string;
  description: string;
  definition: Record<string, unknown>;
}

export const TEMPLATES: WorkflowTemplate[] = [
  {
    key: 'webhook-transform',
    name: 'Webhook → transform',
    description: 'Answers a POST to its webhook URL with a greeting built from the JSON body.',
    definition: {
      trigger: { type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } },
      steps: [
        {
          id: 'reply',
          type: 'transform',
          name: 'Build the answer',
          config: { expression: '{"greeting": "Hello, " & (trigger.body.name ? trigger.body.name : "world")}' },
        },
      ],
      edges: [],
    },
  },
  {
    key: 'nightly-cleanup',
    name: 'Nightly cleanup',
    description: 'Every night at 03:00 UTC, queues a cleanup job that applies the retention settings.',
    definition: {
      trigger: { type: 'schedule', config: { cron: '0 3 * * *', timezone: 'UTC' } },
      steps: [
        {
          id: 'cleanup',
          type: 'job',
          name: 'Queue the cleanup',
          config: { job: { type: 'cleanup', payload: { dryRun: false } } },
        },
      ],
      edges: [],
    },
  },
];
