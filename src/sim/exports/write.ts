import { createHash } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildGroundTruth, rateTable, type GroundTruth, type World } from '../world/index.ts';
import { dumpSeized, type SeizedRowCounts } from './seized-dump.ts';
import { renderTelegramJson, telegramExport } from './telegram.ts';

export interface SimOutputFile {
  /** Path relative to the output directory, with '/' separators. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface SimOutputManifest {
  version: string;
  seed: string;
  files: SimOutputFile[];
  /** Row counts per seized market and table. */
  seized: Record<string, SeizedRowCounts>;
}

/** Writes a file from chunks, hashing as it goes; chunks are buffered so huge outputs never become one string. */
async function writeChunks(dir: string, rel: string, produce: (emit: (chunk: string) => void) => void): Promise<SimOutputFile> {
  const full = join(dir, rel);
  await mkdir(dirname(full), { recursive: true });
  const hash = createHash('sha256');
  const pending: Buffer[] = [];
  let bytes = 0;
  produce((chunk) => {
    const b = Buffer.from(chunk, 'utf8');
    hash.update(b);
    pending.push(b);
    bytes += b.length;
  });
  const fh = await open(full, 'w');
  try {
    // Written after production: production is synchronous and deterministic; the writes are then batched.
    let batch: Buffer[] = [];
    let size = 0;
    for (const b of pending) {
      batch.push(b);
      size += b.length;
      if (size >= 4 << 20) {
        await fh.write(Buffer.concat(batch));
        batch = [];
        size = 0;
      }
    }
    if (batch.length) await fh.write(Buffer.concat(batch));
  } finally {
    await fh.close();
  }
  return { path: rel, bytes, sha256: hash.digest('hex') };
}

/** Writes ground truth as JSON with one array element per line (readable, diffable, and bounded in string size). */
function emitTruth(truth: GroundTruth, emit: (chunk: string) => void): void {
  const entries = Object.entries(truth);
  emit('{\n');
  entries.forEach(([key, value], i) => {
    emit(`${JSON.stringify(key)}: `);
    if (Array.isArray(value)) {
      emit('[');
      value.forEach((v, j) => emit(`${j === 0 ? '\n' : ',\n'}  ${JSON.stringify(v)}`));
      emit(value.length ? '\n]' : ']');
    } else if (key === 'revenue' && value && typeof value === 'object') {
      const groups = Object.entries(value as Record<string, Record<string, unknown>>);
      emit('{\n');
      groups.forEach(([g, rows], gi) => {
        emit(`  ${JSON.stringify(g)}: {`);
        Object.entries(rows).forEach(([k, v], j) => emit(`${j === 0 ? '\n' : ',\n'}    ${JSON.stringify(k)}: ${JSON.stringify(v)}`));
        emit(`\n  }${gi < groups.length - 1 ? ',' : ''}\n`);
      });
      emit('}');
    } else emit(JSON.stringify(value));
    emit(i < entries.length - 1 ? ',\n' : '\n');
  });
  emit('}\n');
}

/**
 * Writes everything a trainee or an importer gets from the simulated world, byte-identical for the same world:
 *   truth.json                         ground truth (see GroundTruth)
 *   rates.json                         the daily BTC/XMR → USD table
 *   telegram/<channel-id>/result.json  Telegram Desktop exports of every channel and group
 *   seized/<market>.sql                mysqldump of the seized market's database
 *   manifest.json                      every file with its size and SHA-256
 * Existing files with these names are replaced; the directory is created if needed.
 */
export async function writeSimOutputs(world: World, dir: string): Promise<SimOutputManifest> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, 'telegram'), { recursive: true, force: true });
  await rm(join(dir, 'seized'), { recursive: true, force: true });
  const files: SimOutputFile[] = [];
  const seized: Record<string, SeizedRowCounts> = {};
  const truth = buildGroundTruth(world);
  files.push(await writeChunks(dir, 'truth.json', (emit) => emitTruth(truth, emit)));
  files.push(await writeChunks(dir, 'rates.json', (emit) => {
    emit('[\n');
    rateTable().forEach((r, i) => emit(`${i ? ',\n' : ''} ${JSON.stringify(r)}`));
    emit('\n]\n');
  }));
  for (const ch of world.channels) {
    files.push(await writeChunks(dir, `telegram/${ch.id}/result.json`, (emit) => emit(renderTelegramJson(telegramExport(world, ch)))));
  }
  for (const db of world.seized) {
    files.push(await writeChunks(dir, `seized/${db.market}.sql`, (emit) => { seized[db.market] = dumpSeized(world, db, emit); }));
  }
  const manifest: SimOutputManifest = { version: world.version, seed: world.seed, files, seized };
  await writeChunks(dir, 'manifest.json', (emit) => emit(`${JSON.stringify(manifest, null, 2)}\n`));
  return manifest;
}
