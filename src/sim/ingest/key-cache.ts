// Armoring a sim key costs two Ed25519 signatures (~8 ms); an AlphaBay-scale world shows ~35,000 keys. The
// rendered blocks are a pure function of the key record, so they are cached on disk between runs (a rendering
// cache of the sim, not of extraction: the extractor still parses every distinct block).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armoredKeyOf, type SimPgpKey } from '../world/index.ts';

const DIR = join(tmpdir(), 'darkpatrol-sim-cache');
const FILE = join(DIR, 'armored-keys-v1.jsonl');

let blocks: Map<string, string> | undefined;
let pending: string[] = [];

const keyOf = (k: SimPgpKey) => `${k.fingerprint}|${k.hasEncryptionSubkey ? 1 : 0}|${k.userId}`;

function load(): Map<string, string> {
  if (blocks) return blocks;
  blocks = new Map();
  if (process.env.DARKPATROL_SIM_KEY_CACHE === 'off' || !existsSync(FILE)) return blocks;
  for (const line of readFileSync(FILE, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const [k, v] = JSON.parse(line) as [string, string];
      if (typeof k === 'string' && typeof v === 'string' && v.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----')) blocks.set(k, v);
    } catch { /* a torn last line from an interrupted run: ignore it */ }
  }
  return blocks;
}

export function cachedArmoredKey(key: SimPgpKey): string {
  const m = load();
  const k = keyOf(key);
  let v = m.get(k);
  if (v === undefined) {
    v = armoredKeyOf(key);
    m.set(k, v);
    pending.push(JSON.stringify([k, v]));
  }
  return v;
}

/** Writes newly armored keys to the cache file. */
export function flushKeyCache(): void {
  if (pending.length === 0 || process.env.DARKPATROL_SIM_KEY_CACHE === 'off') return;
  try {
    mkdirSync(DIR, { recursive: true });
    appendFileSync(FILE, `${pending.join('\n')}\n`);
  } catch { /* the cache is an optimisation only */ }
  pending = [];
}
