/**
 * A case's evidence as WACZ 1.1.1 (Web Archive Collection Zipped, the package webrecorder's ReplayWeb.page opens):
 * the exported WARC records byte for byte in archive/, a CDXJ index of every replayable record, pages/pages.jsonl,
 * DarkPatrol's export manifest (record ids, digests, evidence-log hashes), datapackage.json with the SHA-256 and
 * size of every file, and datapackage-digest.json with the digest of datapackage.json — signed by the agency when
 * a signer is given (Ed25519 over that digest, in `darkpatrol_signature`; WACZ readers ignore the field).
 * The zip stores every file uncompressed (the spec wants the WARCs stored so readers can seek into them).
 */
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { exportEvidence, type ExportManifest, type ExportSelection } from './export.ts';

export interface WaczSignature {
  /** What was signed: the UTF-8 bytes of `sha256:<hex>` of datapackage.json. */
  signs: string;
  keyId: string;
  agencyId: string;
  algorithm: 'Ed25519';
  /** base64url */
  signature: string;
  /** The signer's public key as a JWK (verify against a trusted copy, never against this one alone). */
  publicKeyJwk: Record<string, unknown>;
  created: string;
}

export interface WaczResult {
  file: string;
  bytes: number;
  sha256: string;
  datapackageHash: string;
  pages: number;
  indexed: number;
  manifest: ExportManifest;
  signature?: WaczSignature;
}

export type WaczSigner = (message: Uint8Array) => Omit<WaczSignature, 'signs' | 'created'>;

const WACZ_VERSION = '1.1.1';
const WARC_NAME = 'data.warc.gz';
const REPLAYABLE = new Set(['response', 'resource', 'revisit']);

/** SURT form of a URL as pywb/ReplayWeb.page sort it: `com,example)/path?query`. */
export function surt(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.toLowerCase();
  }
  const host = u.hostname.toLowerCase().replace(/^www\d*\./, '').split('.').reverse().join(',');
  const port = u.port && !((u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443')) ? `:${u.port}` : '';
  const params = [...u.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length ? `?${params.map(([k, v]) => `${k}=${v}`).join('&')}`.toLowerCase() : '';
  return `${host}${port})${(u.pathname || '/').toLowerCase()}${query}`;
}

const ts14 = (iso: string) => iso.replace(/[-:TZ]/g, '').slice(0, 14);

async function fileDigest(file: string): Promise<{ sha256: string; crc: number; bytes: number }> {
  const h = createHash('sha256');
  let crc = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    crc = crc32(chunk as Buffer, crc);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), crc, bytes };
}

interface Entry { name: string; source: string | Buffer }

/** A stored (method 0) zip of the entries, streamed; refuses what needs ZIP64 (over 4 GiB) with a clear error. */
async function writeStoredZip(outFile: string, entries: Entry[]): Promise<void> {
  const fd = openSync(outFile, 'wx');
  const central: Buffer[] = [];
  let pos = 0;
  const put = (b: Buffer) => {
    writeSync(fd, b, 0, b.length, pos);
    pos += b.length;
  };
  // DOS date/time of 1980-01-01 00:00: fixed, so the same evidence gives the same bytes.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  try {
    for (const e of entries) {
      const d = typeof e.source === 'string' ? await fileDigest(e.source) : { crc: crc32(e.source), bytes: e.source.length };
      if (d.bytes >= 0xffffffff || pos >= 0xffffffff) throw new Error(`WACZ over 4 GiB (${e.name}) needs ZIP64, which this writer does not do; export the case in parts (--since)`);
      const name = Buffer.from(e.name, 'utf8');
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(0, 8);
      local.writeUInt16LE(dosTime, 10);
      local.writeUInt16LE(dosDate, 12);
      local.writeUInt32LE(d.crc >>> 0, 14);
      local.writeUInt32LE(d.bytes, 18);
      local.writeUInt32LE(d.bytes, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const offset = pos;
      put(local);
      put(name);
      if (typeof e.source === 'string') {
        for await (const chunk of createReadStream(e.source)) put(chunk as Buffer);
      } else put(e.source);
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(20, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(0, 10);
      c.writeUInt16LE(dosTime, 12);
      c.writeUInt16LE(dosDate, 14);
      c.writeUInt32LE(d.crc >>> 0, 16);
      c.writeUInt32LE(d.bytes, 20);
      c.writeUInt32LE(d.bytes, 24);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(offset, 42);
      central.push(Buffer.concat([c, name]));
    }
    const cdStart = pos;
    for (const c of central) put(c);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(central.length, 8);
    end.writeUInt16LE(central.length, 10);
    end.writeUInt32LE(pos - cdStart, 12);
    end.writeUInt32LE(cdStart, 16);
    put(end);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the selected evidence as a WACZ file. Each record is re-verified against the evidence log on the way
 * (exportEvidence refuses a record that fails), so the package only ever holds verified bytes.
 */
export async function exportWacz(
  db: Kysely<Database>,
  options: {
    dir: string;
    out: string;
    selection: ExportSelection;
    title?: string;
    sign?: WaczSigner;
    created?: string;
    /**
     * More files for the package (a custody report), written under darkpatrol/ and listed in datapackage.json with
     * their digests like every other file; built from the export's manifest.
     */
    extra?: (manifest: ExportManifest) => Promise<Array<{ name: string; source: Buffer }>> | Array<{ name: string; source: Buffer }>;
  },
): Promise<WaczResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'dp-wacz-'));
  try {
    const manifest = await exportEvidence(db, { dir: options.dir, outDir: work, selection: options.selection, fileName: WARC_NAME });
    const warc = path.join(work, WARC_NAME);
    const captureIds = [...new Set(manifest.records.map((r) => r.captureId).filter((id): id is number => id !== null))];
    const captures = new Map<number, { status: number | null; mime: string | null }>();
    for (let i = 0; i < captureIds.length; i += 5000) {
      for (const c of await db.selectFrom('captures').select(['id', 'http_status', 'content_type']).where('id', 'in', captureIds.slice(i, i + 5000)).execute()) {
        captures.set(c.id, { status: c.http_status, mime: c.content_type });
      }
    }
    const cdx: string[] = [];
    const pages: string[] = [JSON.stringify({ format: 'json-pages-1.0', id: 'pages', title: 'All Pages' })];
    for (const r of manifest.records) {
      if (!REPLAYABLE.has(r.type) || !r.targetUri || r.targetUri.startsWith('file:')) continue;
      const c = r.captureId === null ? undefined : captures.get(r.captureId);
      const mime = (c?.mime ?? '').split(';')[0]!.trim() || 'application/octet-stream';
      const entry: Record<string, unknown> = { url: r.targetUri, mime, digest: `sha256:${r.payloadSha256 ?? r.blockSha256}`, length: String(r.exported.length), offset: String(r.exported.offset), filename: WARC_NAME, recordId: r.recordId };
      if (r.type === 'response' && c?.status !== null && c?.status !== undefined) entry.status = String(c.status);
      if (r.type === 'revisit') entry.mime = 'warc/revisit';
      cdx.push(`${surt(r.targetUri)} ${ts14(r.date)} ${JSON.stringify(entry)}`);
      if (r.type !== 'revisit' && /html/i.test(mime)) pages.push(JSON.stringify({ id: r.recordId.replace(/^<urn:uuid:|>$/g, ''), url: r.targetUri, ts: r.date, title: r.targetUri }));
    }
    cdx.sort();
    const files: Entry[] = [
      { name: `archive/${WARC_NAME}`, source: warc },
      { name: 'indexes/index.cdxj', source: Buffer.from(cdx.length ? `${cdx.join('\n')}\n` : '', 'utf8') },
      { name: 'pages/pages.jsonl', source: Buffer.from(`${pages.join('\n')}\n`, 'utf8') },
      { name: 'darkpatrol/manifest.json', source: readFileSync(path.join(work, 'manifest.json')) },
    ];
    for (const f of options.extra ? await options.extra(manifest) : []) {
      if (!/^[a-z0-9][a-z0-9._-]{0,100}$/.test(f.name) || f.name === 'manifest.json') throw new Error(`extra WACZ file name ${JSON.stringify(f.name)} is not allowed`);
      files.push({ name: `darkpatrol/${f.name}`, source: f.source });
    }
    const resources = [];
    for (const f of files) {
      const d = typeof f.source === 'string' ? await fileDigest(f.source) : { sha256: createHash('sha256').update(f.source).digest('hex'), bytes: f.source.length };
      resources.push({ name: path.basename(f.name), path: f.name, hash: `sha256:${d.sha256}`, bytes: d.bytes });
    }
    const created = options.created ?? new Date().toISOString();
    const datapackage = Buffer.from(`${JSON.stringify({
      profile: 'data-package',
      wacz_version: WACZ_VERSION,
      title: options.title ?? 'DarkPatrol evidence export',
      description: `Evidence exported by DarkPatrol: ${manifest.records.length} WARC records, verified against the hash-chained evidence log (head ${manifest.chainHead.head}, ${manifest.chainHead.entries} entries); darkpatrol/manifest.json lists every record with its digests and log hash.`,
      created,
      modified: created,
      software: 'DarkPatrol',
      mainPageUrl: pages.length > 1 ? (JSON.parse(pages[1]!) as { url: string }).url : undefined,
      resources,
    }, null, 2)}\n`, 'utf8');
    const datapackageHash = `sha256:${createHash('sha256').update(datapackage).digest('hex')}`;
    let signature: WaczSignature | undefined;
    if (options.sign) signature = { signs: datapackageHash, ...options.sign(new Uint8Array(Buffer.from(datapackageHash, 'utf8'))), created };
    const digest = Buffer.from(`${JSON.stringify({ path: 'datapackage.json', hash: datapackageHash, ...(signature ? { darkpatrol_signature: signature } : {}) }, null, 2)}\n`, 'utf8');
    const out = path.resolve(options.out);
    await writeStoredZip(out, [...files, { name: 'datapackage.json', source: datapackage }, { name: 'datapackage-digest.json', source: digest }]);
    const whole = await fileDigest(out);
    return { file: out, bytes: statSync(out).size, sha256: whole.sha256, datapackageHash, pages: pages.length - 1, indexed: cdx.length, manifest, signature };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
