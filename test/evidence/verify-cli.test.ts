import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceRecorder } from '../../src/evidence/index.ts';
import { cliDatabase, runCli, type CliDatabase } from '../helpers/cli.ts';

/** `darkpatrol evidence verify` as cron or a script runs it: the real bin/darkpatrol.js, judged by its exit code. */
let cdb: CliDatabase;
let dir: string;
let warcFile: string;

beforeAll(async () => {
  cdb = await cliDatabase('dp-verify-cli-');
  dir = cdb.dir;
  const store = await cdb.open();
  try {
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'NL', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const recorder = new EvidenceRecorder(store.db, { dir: join(dir, 'warc') });
    const body = '<html><body>listing</body></html>';
    const r = await recorder.recordExchange(
      {
        url: 'http://example.onion/l/1',
        request: Buffer.from('GET /l/1 HTTP/1.1\r\nhost: example.onion\r\n\r\n'),
        response: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n${body}`),
        payloadSha256: createHash('sha256').update(body).digest('hex'),
        payloadSize: body.length,
        httpStatus: 200,
        contentType: 'text/html',
        fetchedAt: new Date('2026-01-01T00:00:00Z'),
      },
      { agencyId, marketId: null },
    );
    await recorder.close();
    warcFile = join(dir, 'warc', r.response.file);
  } finally {
    await store.close();
  }
}, 120_000);
afterAll(async () => {
  await cdb?.drop();
});

const cli = (args: string[]) => runCli([...cdb.args, ...args]);

describe('evidence verify exit code', () => {
  it('exits 0 on intact evidence and 1 on tampering, in text and JSON mode', async () => {
    const args = ['evidence', 'verify', '--evidence-dir', join(dir, 'warc')];
    const clean = await cli(args);
    expect(clean.out).toMatch(/^OK:/);
    expect(clean.code).toBe(0);
    const original = readFileSync(warcFile);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 40] = (tampered[tampered.length - 40] ?? 0) ^ 0xff;
    writeFileSync(warcFile, tampered);
    try {
      const text = await cli(args);
      expect(text.out).toContain('TAMPERING OR LOSS DETECTED');
      expect(text.code).toBe(1);
      const json = await cli([...args, '--json']);
      expect((JSON.parse(json.out) as { ok: boolean }).ok).toBe(false);
      expect(json.code).toBe(1);
    } finally {
      writeFileSync(warcFile, original);
    }
  });
});
