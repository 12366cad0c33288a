import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTokens } from '../../src/deconflict/index.ts';
import { cliDatabase, runCli, type CliDatabase } from '../helpers/cli.ts';

/**
 * `darkpatrol notices --blinded` as an operator runs it: the real CLI in child processes on a throwaway data
 * directory (or a scratch PostgreSQL database when DATABASE_URL is set). The blinded hits are set up in-process
 * through the matcher the API uses: NL-POL and DE-BKA hold one token, NL-POL and a peer agency (FR-GN) another.
 */
let cdb: CliDatabase;
let shared: number;
let peerHit: number;

interface Notice { hitId: number; tokenId: string; yourCaseRef: string; otherAgency: string; otherContact: string; acknowledgedAt: string | null }

beforeAll(async () => {
  cdb = await cliDatabase('dp-cli-blinded-');
  const store = await cdb.open();
  try {
    for (const [code, name, country] of [['NL-POL', 'Politie NL', 'NL'], ['DE-BKA', 'BKA', 'DE']]) await store.db.insertInto('agencies').values({ code: code!, name: name!, country: country! }).execute();
    const token = (s: string) => createHash('sha512').update(s).digest('hex');
    await registerTokens(store.db, { owner: 'NL-POL', caseRef: 'case-nl-17', contact: 'NL blind desk +31 88', tokens: [token('shared'), token('peer')] });
    shared = (await registerTokens(store.db, { owner: 'DE-BKA', caseRef: 'case-de-9', contact: 'BKA blind desk +49 611', tokens: [token('shared')] })).notices[0]!.hitId;
    peerHit = (await registerTokens(store.db, { owner: 'FR-GN', caseRef: 'fr-handle', contact: 'FR desk +33 1', tokens: [token('peer')] })).notices[0]!.hitId;
  } finally {
    await store.close();
  }
}, 120_000);
afterAll(async () => {
  await cdb?.drop();
});

const cli = (args: string[]) => runCli([...cdb.args, ...args]);

async function json<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as T;
}

describe('darkpatrol notices --blinded (real processes)', () => {
  it('lists, acknowledges once, filters the unacknowledged, and tells the other agency nothing', { timeout: 600_000 }, async () => {
    const nl = await json<Notice[]>(['notices', '--agency', 'nl-pol', '--blinded']);
    expect(nl.map((n) => [n.hitId, n.otherAgency, n.otherContact, n.yourCaseRef, n.acknowledgedAt])).toEqual([
      [shared, 'DE-BKA', 'BKA blind desk +49 611', 'case-nl-17', null],
      [peerHit, 'FR-GN', 'FR desk +33 1', 'case-nl-17', null],
    ]);

    const first = await json<Notice>(['notices', '--agency', 'NL-POL', '--blinded', '--ack', String(shared)]);
    expect(first).toMatchObject({ hitId: shared, otherAgency: 'DE-BKA', otherContact: 'BKA blind desk +49 611' });
    expect(first.acknowledgedAt).not.toBeNull();
    // A second acknowledgement is not an error and keeps the first time; the human line says so.
    const again = await cli(['notices', '--agency', 'NL-POL', '--blinded', '--ack', String(shared)]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toBe(`acknowledged: blinded hit ${shared}: your case handle case-nl-17 token ${first.tokenId} — also held by DE-BKA; contact BKA blind desk +49 611; acknowledged ${first.acknowledgedAt}\n`);

    const open = await cli(['notices', '--agency', 'NL-POL', '--blinded', '--unacknowledged']);
    expect(open.code, open.err).toBe(0);
    expect(open.out).toMatch(new RegExp(`^blinded hit ${peerHit}: your case handle case-nl-17 .* also held by FR-GN; contact FR desk \\+33 1\\n$`));

    // DE-BKA's side: still unacknowledged, and nothing of NL's case handle.
    const de = await cli(['notices', '--agency', 'DE-BKA', '--blinded', '--unacknowledged', '--json']);
    expect(de.code, de.err).toBe(0);
    expect((JSON.parse(de.out) as Notice[]).map((n) => [n.hitId, n.acknowledgedAt])).toEqual([[shared, null]]);
    expect(de.out).not.toContain('case-nl-17');

    // The clear-mode listing is a separate one.
    const clear = await cli(['notices', '--agency', 'NL-POL']);
    expect(clear.out).toBe('no hits for NL-POL\n');
  });

  it('refuses a hit of another agency like a missing one, and bad input, with exit 2 and one line', { timeout: 600_000 }, async () => {
    const foreign = await cli(['notices', '--agency', 'DE-BKA', '--blinded', '--ack', String(peerHit)]);
    expect(foreign.code).toBe(2);
    expect(foreign.err.trim()).toBe(`darkpatrol: blinded hit ${peerHit} not found`);
    const missing = await cli(['notices', '--agency', 'DE-BKA', '--blinded', '--ack', '999999']);
    expect(missing.code).toBe(2);
    expect(missing.err.trim()).toBe('darkpatrol: blinded hit 999999 not found');
    const bad = await cli(['notices', '--agency', 'NL-POL', '--blinded', '--ack', 'first']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--ack must be a blinded hit id, got "first"');
    const both = await cli(['notices', '--agency', 'NL-POL', '--blinded', '--ack', '1', '--unacknowledged']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--ack and --unacknowledged do not go together');
    const nobody = await cli(['notices', '--agency', 'XX-NONE', '--blinded']);
    expect(nobody.code).toBe(2);
    expect(nobody.err.trim()).toBe('darkpatrol: no agency XX-NONE');
    for (const r of [foreign, missing, bad, both, nobody]) expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });
});
