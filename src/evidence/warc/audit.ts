import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * A test and CI hook: when this environment variable names a directory, every WARC file DarkPatrol finishes
 * writing (a capture file when it is closed or rotated, an evidence export when it is complete) is copied there,
 * so that a third-party reader can check all of them after the run (see test/helpers/warc-audit.ts and
 * docs/evidence.md). Unset in production: nothing is copied.
 */
export const WARC_AUDIT_ENV = 'DARKPATROL_WARC_AUDIT_DIR';

export function auditCopy(file: string): void {
  const dir = process.env[WARC_AUDIT_ENV];
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    copyFileSync(file, path.join(dir, `${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(file)}`));
  } catch (err) {
    // An audit copy never stops evidence being written; the audit reports how many files it read.
    process.stderr.write(`warc audit: could not copy ${file}: ${(err as Error).message}\n`);
  }
}
