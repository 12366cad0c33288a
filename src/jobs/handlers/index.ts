import { sql, type Kysely } from 'kysely';
import { requeueJob, type PgJobQueue } from '../queue.ts';
import { releaseClaims } from '../../collect/index.ts';
import type { Database } from '../../store/index.ts';
import type { JobHandler, JobKind } from '../types.ts';
import { crawlHandler } from './crawl.ts';
import type { WorkerEnv } from './env.ts';
import { extractHandler } from './extract.ts';
import { importHandler } from './import.ts';
import { relinkHandler } from './relink.ts';

export type JobHandlers = { [K in JobKind]?: JobHandler<K> };

/**
 * The handlers of the pipeline stages. Reports and federation sync are computed by the server's services and
 * registered by it (src/server exports them), so the job system does not depend on the API.
 */
export function pipelineHandlers(env: WorkerEnv): JobHandlers {
  return { crawl: crawlHandler(env), extract: extractHandler(env), import: importHandler(env), relink: relinkHandler(env) };
}

/** A dead worker's crawl frontier claims go back to the queue at once (not after their lease). */
export async function releaseDeadWorker(db: Kysely<Database>, workerId: string): Promise<void> {
  await releaseClaims(db, workerId);
}

/**
 * Crawl jobs paused for a CAPTCHA go back on the queue once a human has solved it (the crawl then resumes with
 * the parked session). Run on every worker tick; returns the jobs queued again.
 */
export async function resumeSolvedCaptchaCrawls(queue: PgJobQueue): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select distinct j.id from jobs j
    join crawl_jobs c on c.id = j.checkpoint->>'crawlJobId'
    join crawl_captchas k on k.market_id = c.market_id and k.status = 'solved'
    where j.kind = 'crawl' and j.state = 'paused' and j.control is null and j.error like 'waiting for a human%'`.execute(queue.db);
  const queued: string[] = [];
  for (const { id } of r.rows) if (await requeueJob(queue.db, queue.boss, id, ['paused'])) queued.push(id);
  return queued;
}

export type { WorkerEnv } from './env.ts';
