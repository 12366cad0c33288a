import { sql, type Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database } from '../../store/index.ts';

/**
 * The seam to the crawler's CAPTCHA hand-off (issue 5: listCaptchas / getCaptchaImage / solveCaptcha in
 * src/collect). The server depends only on this interface; `serve` wires the collect implementation in.
 */
export interface CaptchaTask {
  id: string;
  agencyId: number;
  tlp: Tlp;
  marketId: number | null;
  marketName: string | null;
  url: string;
  createdAt: Date;
  status: 'pending' | 'solved' | 'expired';
}

/** `job`: only the CAPTCHAs parked by that collection job (the id of the job queue's row, GET /api/jobs). */
export interface CaptchaListFilter {
  agencyId: number;
  status?: CaptchaTask['status'];
  job?: string;
}

export interface CaptchaQueue {
  list(filter: CaptchaListFilter): Promise<CaptchaTask[]>;
  get(id: string): Promise<CaptchaTask | null>;
  image(id: string): Promise<{ contentType: string; bytes: Uint8Array } | null>;
  /** Hands the answer to the waiting crawler; false when the task is no longer pending. */
  solve(id: string, answer: string, by: { userId: number | null; actor: string }): Promise<boolean>;
}

/** An in-process queue: for the demo and tests until the crawler's persistent queue is wired in. */
export class MemoryCaptchaQueue implements CaptchaQueue {
  private readonly tasks = new Map<string, CaptchaTask & { image: { contentType: string; bytes: Uint8Array }; answer?: string; job?: string }>();
  private seq = 0;

  /** `job`: the collection job that parked it, if any. */
  add(t: Omit<CaptchaTask, 'id' | 'status' | 'createdAt'> & { image: { contentType: string; bytes: Uint8Array }; job?: string }): CaptchaTask {
    const id = `c${++this.seq}`;
    const task = { ...t, id, status: 'pending' as const, createdAt: new Date() };
    this.tasks.set(id, task);
    return this.strip(task);
  }
  answerOf(id: string): string | undefined {
    return this.tasks.get(id)?.answer;
  }
  async list(f: CaptchaListFilter): Promise<CaptchaTask[]> {
    return [...this.tasks.values()].filter((t) => t.agencyId === f.agencyId && (!f.status || t.status === f.status) && (f.job === undefined || t.job === f.job)).map((t) => this.strip(t));
  }
  async get(id: string): Promise<CaptchaTask | null> {
    const t = this.tasks.get(id);
    return t ? this.strip(t) : null;
  }
  async image(id: string) {
    return this.tasks.get(id)?.image ?? null;
  }
  async solve(id: string, answer: string): Promise<boolean> {
    const t = this.tasks.get(id);
    if (!t || t.status !== 'pending') return false;
    t.status = 'solved';
    t.answer = answer;
    return true;
  }
  private strip(t: CaptchaTask & { image?: unknown; answer?: string }): CaptchaTask {
    const { id, agencyId, tlp, marketId, marketName, url, createdAt, status } = t;
    return { id, agencyId, tlp, marketId, marketName, url, createdAt, status };
  }
}

/**
 * The crawler's persistent queue (table crawl_captchas, migration 0101): a task belongs to the agency that owns its
 * market and carries the market's marking. Solving stores the answer; the crawler polls for it. A task names the crawl
 * (crawl_jobs) that parked it; the job queue's crawl job names that crawl in its checkpoint (`crawlJobId`).
 */
export function dbCaptchaQueue(db: Kysely<Database>): CaptchaQueue {
  type Row = { id: number; agency_id: number; tlp: Tlp; market_id: number; market_name: string; url: string | null; created_at: Date; status: string };
  const select = sql`select c.id, m.agency_id, m.tlp, c.market_id, m.name as market_name, cap.url, c.created_at, c.status
    from crawl_captchas c join markets m on m.id = c.market_id left join captures cap on cap.id = c.capture_id`;
  const toTask = (r: Row): CaptchaTask => ({
    id: String(r.id),
    agencyId: r.agency_id,
    tlp: r.tlp,
    marketId: r.market_id,
    marketName: r.market_name,
    url: r.url ?? '',
    createdAt: r.created_at,
    status: r.status === 'pending' ? 'pending' : r.status === 'expired' ? 'expired' : 'solved',
  });
  const num = (id: string) => (/^\d{1,9}$/.test(id) ? Number(id) : -1);
  return {
    async list(f) {
      const status = f.status === 'solved' ? sql`c.status in ('solved', 'used')` : sql`c.status = ${f.status ?? 'pending'}`;
      const job = f.job === undefined ? sql`true` : sql`c.job_id = (select j.checkpoint->>'crawlJobId' from jobs j where j.id = ${f.job} and j.agency_id = ${f.agencyId})`;
      const r = await sql<Row>`${select} where m.agency_id = ${f.agencyId} and ${status} and ${job} order by c.created_at limit 200`.execute(db);
      return r.rows.map(toTask);
    },
    async get(id) {
      const r = await sql<Row>`${select} where c.id = ${num(id)}`.execute(db);
      return r.rows[0] ? toTask(r.rows[0]) : null;
    },
    async image(id) {
      const r = await sql<{ image: Buffer; image_type: string }>`select image, image_type from crawl_captchas where id = ${num(id)}`.execute(db);
      const row = r.rows[0];
      return row ? { contentType: row.image_type, bytes: new Uint8Array(row.image) } : null;
    },
    async solve(id, answer, by) {
      const r = await sql`update crawl_captchas set status = 'solved', answer = ${answer}, solved_by = ${by.actor}, solved_at = now()
        where id = ${num(id)} and status = 'pending'`.execute(db);
      return Number(r.numAffectedRows ?? 0) > 0;
    },
  };
}
