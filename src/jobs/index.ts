/**
 * Jobs and workers: crawl, extract, import, re-link, reports and federation sync go through a durable queue in
 * PostgreSQL (pg-boss, on the server or the embedded PGlite); `darkpatrol worker` processes run them on any
 * number of machines, and the API enqueues them. See docs/collect.md "Jobs and workers".
 */
export type { JobKind, JobPayload, JobState, JobProgress, JobStatus, EnqueueOptions, JobListFilter, WorkerStatus, JobQueue, JobContext, JobOutcome, JobHandler } from './types.ts';
export { FINISHED_STATES, JobInputError } from './types.ts';
export { JOB_PAYLOADS, JOB_KINDS, DEFAULT_RETRY_LIMIT, isJobKind } from './kinds.ts';
export { PgJobQueue, JobError, jobCounts, requeueJob } from './queue.ts';
export { startWorker, type WorkerOptions, type RunningWorker, type DeadWorkerCleanup } from './worker.ts';
export { pipelineHandlers, releaseDeadWorker, resumeSolvedCaptchaCrawls, type JobHandlers, type WorkerEnv } from './handlers/index.ts';
export { importPath } from './handlers/import.ts';
