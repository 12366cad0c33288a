import type { z } from 'zod';
import type { JOB_PAYLOADS } from './kinds.ts';

/** What a job does. Each kind has its own pg-boss queue, so `darkpatrol worker --queues crawl` takes only crawls. */
export type JobKind = keyof typeof JOB_PAYLOADS;

/** The payload of each kind (validated on enqueue: the API enqueues what users send). */
export type JobPayload<K extends JobKind = JobKind> = z.infer<(typeof JOB_PAYLOADS)[K]>;

/**
 * queued → running → completed | failed | cancelled; running → retrying (a worker died or the attempt failed and
 * attempts remain) → running; running → paused (a crawl waiting for a CAPTCHA, or paused by a user) → queued on
 * resume.
 */
export type JobState = 'queued' | 'running' | 'retrying' | 'paused' | 'completed' | 'failed' | 'cancelled';

export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** How far a running job is; `unit` says what is counted (pages, captures, rows…). */
export interface JobProgress {
  done: number;
  total?: number;
  unit?: string;
  message?: string;
  /** A crawl's frontier queue (URLs waiting) and its errors so far by kind. */
  queued?: number;
  errors?: Record<string, number>;
}

/** One job as the console and the CLI show it. */
export interface JobStatus<K extends JobKind = JobKind> {
  id: string;
  kind: K;
  agencyId: number | null;
  /** Who asked: "user:<id>", "cli:<os user>", "system:<what>". */
  requestedBy: string;
  payload: JobPayload<K>;
  state: JobState;
  progress: JobProgress;
  /** The handler's answer (a crawl summary, an import summary, a report…) once completed or paused. */
  result: unknown;
  error: string | null;
  attempts: number;
  /** The worker running it (host:pid:…), or the last one that did. */
  workerId: string | null;
  /** A pause or cancel asked for and not yet acted on by the worker. */
  control: 'pause' | 'cancel' | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export interface EnqueueOptions {
  agencyId?: number | null;
  requestedBy?: string;
  /** Run no earlier than this. */
  startAfter?: Date;
  /** How many more attempts after a failure or a dead worker (default per kind). */
  retryLimit?: number;
}

export interface JobListFilter {
  agencyId?: number;
  kind?: JobKind;
  states?: JobState[];
  limit?: number;
  /** Keyset paging: jobs created before this job id's creation. */
  before?: string;
}

/** A registered worker process, with its liveness. */
export interface WorkerStatus {
  id: string;
  host: string;
  pid: number;
  queues: JobKind[];
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
  /** Jobs it is running now. */
  running: string[];
}

/**
 * The job queue: durable in PostgreSQL (pg-boss, on the server or on the embedded PGlite), with job rows the
 * console reads. Enqueue from the API or the CLI; workers (`darkpatrol worker`, or in-process with PGlite) run
 * them.
 */
export interface JobQueue {
  enqueue<K extends JobKind>(kind: K, payload: JobPayload<K>, options?: EnqueueOptions): Promise<JobStatus<K>>;
  get(id: string): Promise<JobStatus | undefined>;
  list(filter?: JobListFilter): Promise<JobStatus[]>;
  /** A queued job is cancelled at once; a running one is asked to stop (its worker aborts it within seconds). */
  cancel(id: string, by: string): Promise<JobStatus>;
  /** Asks a running crawl to stop resumably; a queued one is held back. Other kinds cannot be paused. */
  pause(id: string, by: string): Promise<JobStatus>;
  /** Queues a paused (or failed) job again; a crawl resumes its frontier. */
  resume(id: string, by: string): Promise<JobStatus>;
  workers(): Promise<WorkerStatus[]>;
  close(): Promise<void>;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  jobId: string;
  agencyId: number | null;
  attempt: number;
  workerId: string;
  /** Aborted when the job is cancelled or paused, or the worker is shutting down. */
  signal: AbortSignal;
  /** Why `signal` aborted: a user's 'pause'/'cancel', or 'shutdown'. */
  abortReason(): 'pause' | 'cancel' | 'shutdown' | undefined;
  progress(p: JobProgress): void;
  /** Durable state that survives a retry on another worker (a crawl saves its crawl job id here). */
  checkpoint: Record<string, unknown>;
  saveCheckpoint(c: Record<string, unknown>): Promise<void>;
}

/** The outcome of a handler: completed with a result, or paused (resumable later, e.g. a crawl waiting for a CAPTCHA). */
export type JobOutcome = { state: 'completed'; result?: unknown } | { state: 'paused'; result?: unknown; reason: string };

export type JobHandler<K extends JobKind = JobKind> = (payload: JobPayload<K>, ctx: JobContext) => Promise<JobOutcome>;

/** The job's input is refused (a hostile or malformed file): the job fails at once, since a retry would refuse it again. */
export class JobInputError extends Error {
  override name = 'JobInputError';
}
