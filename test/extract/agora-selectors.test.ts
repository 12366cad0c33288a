import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractPage } from '../../src/extract/adapter/run.ts';
import { agoraAdapter } from '../../src/extract/adapters/agora.ts';
import { extractSelectors } from '../../src/extract/selectors/index.ts';

/** The adapter's text blocks are the selector extractor's input: PGP blocks must come out as GnuPG reads them. */
describe('Agora texts feed the selector extractor', () => {
  it('recovers a PGP block that GnuPG and the selector extractor both read to the same fingerprint', async () => {
    const r = extractPage(agoraAdapter, {
      url: 'http://agorahooawayyfoe.onion/vendor/Demonic',
      html: readFileSync(new URL('../../../shared/fixtures/agora-2014-04-06/vendor/Demonic', import.meta.url)),
      capturedAt: '2014-04-06T12:00:00Z',
      captureDigest: 'sha256:demonic',
    });
    const pgp = r.texts.find((t) => t.kind === 'pgp')!;
    const home = mkdtempSync(join(tmpdir(), 'dp-gpg-'));
    try {
      writeFileSync(join(home, 'key.asc'), `${pgp.text}\n`);
      const colons = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', join(home, 'key.asc')], { encoding: 'utf8' });
      const gpgFpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1];
      const selectors = await extractSelectors(pgp.text);
      const key = selectors.find((s) => s.kind === 'pgp_key');
      expect(key?.value).toBe(gpgFpr);
      expect(selectors.some((s) => s.kind === 'email' && s.value.toLowerCase() === 'demonic@safe-mail.net')).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
