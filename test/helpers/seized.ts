// A seized market as the Hansa / DisrupTor workflow meets it: the sim's seized dump written as a MySQL file and
// imported with the real dump importer into an agency's store. Shared by the split tests (stage, API, console).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { importMysqlDump, SIM_SEIZED_MAPPING, type DumpImportSummary } from '../../src/collect/index.ts';
import { generateWorld, type World } from '../../src/sim/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';
import type { Database } from '../../src/store/index.ts';

export interface ImportedSeized {
  world: World;
  seized: World['seized'][number];
  /** Directory holding the dump file and the evidence written by the import; removed by cleanup(). */
  dir: string;
  file: string;
  summary: DumpImportSummary;
  cleanup(): void;
}

/** Generates a tiny sim world, dumps its first seized market and imports the dump for `agencyId`. */
export async function importSeizedDump(db: Kysely<Database>, agencyId: number, seed = 'split-test', evidenceDir?: string): Promise<ImportedSeized> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-split-'));
  const world = generateWorld({ seed, scale: 'tiny' });
  const seized = world.seized[0]!;
  const file = path.join(dir, `${seized.market}.sql`);
  const chunks: string[] = [];
  dumpSeized(world, seized, (c) => chunks.push(c));
  writeFileSync(file, chunks.join(''));
  const summary = await importMysqlDump({ db, evidenceDir: evidenceDir ?? path.join(dir, 'warc'), agencyId, file, mapping: SIM_SEIZED_MAPPING });
  return { world, seized, dir, file, summary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
