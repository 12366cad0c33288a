import './template.ts';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { migrate } from '../../src/store/index.ts';
import type { TestProject } from 'vitest/node';
import { WARC_AUDIT_ENV } from '../../src/evidence/index.ts';
import { auditWarcFile } from './warc-audit.ts';

/**
 * Every WARC file DarkPatrol writes during the run (in test processes and in the CLI and worker processes they
 * start, which inherit the environment) is copied to one directory when it is finished; after the run, warcio.js
 * reads each and checks every block and payload digest. Any failure fails the run. Set DARKPATROL_WARC_AUDIT_DIR
 * yourself to keep the copies.
 */
function startWarcAudit(): () => Promise<void> {
  const keep = Boolean(process.env[WARC_AUDIT_ENV]);
  const dir = process.env[WARC_AUDIT_ENV] || mkdtempSync(join(tmpdir(), 'darkpatrol-warc-audit-'));
  process.env[WARC_AUDIT_ENV] = dir;
  return async () => {
    const started = Date.now();
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => /\.warc(\.gz)?$/.test(f)).sort();
    } catch {
      files = [];
    }
    let records = 0;
    let bytes = 0;
    let chunked = 0;
    let encoded = 0;
    let transferredForm = 0;
    const failures: string[] = [];
    for (const f of files) {
      const r = await auditWarcFile(join(dir, f));
      records += r.records;
      bytes += statSync(join(dir, f)).size;
      chunked += r.chunked;
      encoded += r.encoded;
      transferredForm += r.transferredForm;
      failures.push(...r.failures);
    }
    // On failure the copies stay, so the files named can be opened; a clean run leaves nothing behind.
    if (!keep && !failures.length) rmSync(dir, { recursive: true, force: true });
    const summary = `WARC audit (warcio.js): ${files.length} files, ${records} records, ${(bytes / 1048576).toFixed(1)} MiB, ` +
      `${chunked} chunked and ${encoded} content-encoded responses, ${transferredForm} payload digests over a chunked body as ` +
      `transferred (other tools' records), ${failures.length} failures, ${((Date.now() - started) / 1000).toFixed(1)} s`;
    process.stdout.write(`\n${summary}\n`);
    if (failures.length) {
      const shown = failures.slice(0, 50).join('\n');
      // Printed as well as thrown: the reporter may have finished when the teardown runs.
      process.stderr.write(`\nWARC AUDIT FAILED (copies kept in ${dir}):\n${shown}\n`);
      // Vitest (4.1) only logs an error thrown by a global teardown ("error during close") and still exits 0:
      // the exit code is what fails CI, so it is set here.
      process.exitCode = 1;
      throw new Error(`${summary}:\n${shown}`);
    }
  };
}

/** Builds one migrated PGlite data directory for the whole run; every test store starts from a copy of it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const auditWarcs = startWarcAudit();
  if (process.env.DATABASE_URL) {
    project.provide('pgliteTemplate', '');
    return auditWarcs;
  }
  const dir = mkdtempSync(join(tmpdir(), 'darkpatrol-test-'));
  const pglite = await PGlite.create(undefined, { extensions: { pg_trgm } });
  const pool = new pg.Pool(createPgConfig(pglite));
  await migrate(pool, 'template');
  await pool.end();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const path = join(dir, 'template.tar');
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', path);
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    await auditWarcs();
  };
}
