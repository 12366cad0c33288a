/**
 * The OPRF evaluator of the blinded mode: this installation holds the OPRF key (in `federation_self`) and evaluates
 * blinded elements; it never receives a selector. The matcher (tokens, hits, notices, acknowledgements) is the
 * de-confliction store's (src/deconflict/store/blinded.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { OprfEvaluator, SUITE_ID, generateKeyPair } from '../../deconflict/index.ts';
import type { RateLimit } from '../../deconflict/index.ts';
import type { Database } from '../../store/index.ts';
import { exchangeDb } from './schema.ts';

/** Default per-client OPRF budget: a burst of 2,000 evaluations, then one a second (86,400 a day). */
export const DEFAULT_OPRF_RATE_LIMIT: RateLimit = { capacity: 2000, refillPerSecond: 1 };

export interface InstallationIdentity {
  installationId: string;
  oprfSecretKey: Uint8Array;
}

/** This installation's federation id and OPRF key, created on first use (the given id, or a random one). */
export async function installationIdentity(database: Kysely<Database>, preferredId?: string): Promise<InstallationIdentity> {
  const db = exchangeDb(database);
  let row = await db.selectFrom('federation_self').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) {
    await db
      .insertInto('federation_self')
      .values({
        id: 1,
        installation_id: preferredId ?? `dp-${randomBytes(8).toString('hex')}`,
        oprf_secret_key: Buffer.from(generateKeyPair().secretKey),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    row = await db.selectFrom('federation_self').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  }
  return { installationId: row.installation_id, oprfSecretKey: new Uint8Array(row.oprf_secret_key) };
}

/** One OprfEvaluator per server, keyed from the database on first use; rate limits are per client id. */
export class EvaluatorHolder {
  private evaluator: Promise<OprfEvaluator> | undefined;
  constructor(
    private readonly database: Kysely<Database>,
    private readonly rateLimit: RateLimit,
    private readonly preferredId?: string,
  ) {}

  get(): Promise<OprfEvaluator> {
    this.evaluator ??= installationIdentity(this.database, this.preferredId).then(
      (id) => new OprfEvaluator({ secretKey: id.oprfSecretKey, rateLimit: this.rateLimit, maxBatch: 1000 }),
    );
    return this.evaluator;
  }

  async evaluate(clientId: string, blindedElements: readonly string[]): Promise<{ suite: string; mode: 'oprf'; evaluatedElements: string[] }> {
    const e = await this.get();
    return { suite: SUITE_ID, mode: 'oprf', evaluatedElements: e.evaluate(clientId, blindedElements) };
  }
}
