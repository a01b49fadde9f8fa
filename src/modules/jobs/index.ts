export { JOB_LIMITS, JOB_TYPES, type Job, type JobSummary, type JobType } from './jobs.dto.ts';
export { jobsRoutes } from './jobs.routes.ts';
export {
  cancelJob,
  countJobsByStatus,
  createJob,
  getFile,
  getJob,
  JOBS_QUEUE,
  type JobsDeps,
  listJobs,
  retryJob,
} from './jobs.service.ts';
export { files, JOB_STATUSES, type JobStatus, jobs } from './jobs.table.ts';
export { createJobWorker, JOB_HANDLERS, type JobWorker, type JobWorkerOptions } from './worker.ts';
export { JobCancelled, type JobContext, JobFailure, type JobHandler, type JobOutcome } from './handlers/handler.ts';
