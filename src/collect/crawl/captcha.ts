import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit, type CaptchaStatus, type Database } from '../../store/index.ts';

export interface CaptchaSummary {
  id: number;
  marketId: number;
  market: string;
  accountId: number | null;
  account: string | null;
  jobId: string | null;
  status: CaptchaStatus;
  /** The login form's CAPTCHA, or an anti-DDoS front's. */
  kind: 'login' | 'anti-ddos';
  imageType: string;
  imageBytes: number;
  imageSha256: string;
  createdAt: Date;
  solvedAt: Date | null;
}

/** The login state a parked CAPTCHA belongs to: posting the answer needs the same session and form. */
export interface ParkedForm {
  action: string;
  hidden: Record<string, string>;
  usernameField: string;
  passwordField: string;
  captchaField: string;
  cookies: Record<string, string>;
}

/** Parks a challenge image for a human and pauses the market's crawl until it is solved. */
export async function parkCaptcha(
  db: Kysely<Database>,
  p: { marketId: number; accountId: number | null; jobId: string | null; image: Buffer; imageType: string; captureId: number | null; form: ParkedForm; kind?: 'login' | 'anti-ddos' },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('crawl_captchas').set({ status: 'expired' }).where('market_id', '=', p.marketId).where('account_id', p.accountId === null ? 'is' : '=', p.accountId).where('kind', '=', p.kind ?? 'login').where('status', '=', 'pending').execute();
    const row = await trx
      .insertInto('crawl_captchas')
      .values({
        market_id: p.marketId,
        account_id: p.accountId,
        job_id: p.jobId,
        image: p.image,
        image_type: p.imageType,
        image_sha256: createHash('sha256').update(p.image).digest('hex'),
        capture_id: p.captureId,
        form: JSON.stringify(p.form),
        kind: p.kind ?? 'login',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.updateTable('crawl_markets').set({ paused_reason: `${p.kind === 'anti-ddos' ? 'anti-DDoS ' : ''}captcha #${row.id}`, updated_at: new Date() }).where('market_id', '=', p.marketId).execute();
    return row.id;
  });
}

/** CAPTCHAs waiting for a human (or all, with `all`). For the CLI and the console's queue. */
export async function listCaptchas(db: Kysely<Database>, options: { all?: boolean; marketId?: number } = {}): Promise<CaptchaSummary[]> {
  let q = db
    .selectFrom('crawl_captchas as c')
    .innerJoin('markets as m', 'm.id', 'c.market_id')
    .leftJoin('crawl_accounts as a', 'a.id', 'c.account_id')
    .select(['c.id', 'c.market_id', 'm.slug', 'c.account_id', 'a.username', 'c.job_id', 'c.status', 'c.kind', 'c.image_type', 'c.image_sha256', 'c.created_at', 'c.solved_at'])
    .select((eb) => eb.fn<number>('octet_length', ['c.image']).as('bytes'))
    .orderBy('c.id');
  if (!options.all) q = q.where('c.status', '=', 'pending');
  if (options.marketId !== undefined) q = q.where('c.market_id', '=', options.marketId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    marketId: r.market_id,
    market: r.slug,
    accountId: r.account_id,
    account: r.username,
    jobId: r.job_id,
    status: r.status,
    kind: r.kind,
    imageType: r.image_type,
    imageBytes: Number(r.bytes),
    imageSha256: r.image_sha256,
    createdAt: r.created_at,
    solvedAt: r.solved_at,
  }));
}

export class CaptchaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptchaError';
  }
}

/** The challenge image (to show to the human). */
export async function getCaptchaImage(db: Kysely<Database>, id: number): Promise<{ image: Buffer; type: string; status: CaptchaStatus }> {
  const row = await db.selectFrom('crawl_captchas').select(['image', 'image_type', 'status']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new CaptchaError(`no CAPTCHA #${id}`);
  return { image: Buffer.from(row.image), type: row.image_type, status: row.status };
}

/** Records a human's answer; the paused crawl picks it up and logs in. Audited. */
export async function solveCaptcha(db: Kysely<Database>, id: number, answer: string, solvedBy = 'cli'): Promise<void> {
  const clean = answer.trim();
  if (clean === '' || clean.length > 64 || /[\r\n]/.test(clean)) throw new CaptchaError('the answer must be 1-64 characters on one line');
  const updated = await db
    .updateTable('crawl_captchas')
    .set({ status: 'solved', answer: clean, solved_by: solvedBy, solved_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning(['market_id'])
    .executeTakeFirst();
  if (!updated) {
    const row = await db.selectFrom('crawl_captchas').select('status').where('id', '=', id).executeTakeFirst();
    throw new CaptchaError(row ? `CAPTCHA #${id} is ${row.status}, not pending` : `no CAPTCHA #${id}`);
  }
  const market = await db.selectFrom('markets').select('agency_id').where('id', '=', updated.market_id).executeTakeFirst();
  await appendAudit(db, { agencyId: market?.agency_id ?? null, userId: null, actor: solvedBy, action: 'captcha.solve', objectType: 'captcha', objectId: String(id) });
}
