import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { z } from 'zod';
import { ArchiveRefused, CsvMappingSchema, gunzipHead, tarPacking } from '../../collect/index.ts';
import { ACCESS } from '../access/policy.ts';
import { ApiError, badRequest } from '../errors.ts';
import type { App, RouteContext } from '../types.ts';
import { who } from './common.ts';

/** What can be uploaded: the five import formats of the import job, and the column mapping a CSV import needs. */
export const UPLOAD_KINDS = ['telegram', 'dump', 'csv', 'warc', 'pages', 'csv-mapping'] as const;
type UploadKind = (typeof UPLOAD_KINDS)[number];
/** The stored file's extension: by kind, and for the binary kinds by whether the file is gzip. */
const ext = (kind: UploadKind, gzip: boolean): string =>
  kind === 'warc' ? (gzip ? 'warc.gz' : 'warc') : kind === 'pages' ? (gzip ? 'tar.gz' : 'tar') : { telegram: 'json', dump: 'sql', csv: 'csv', 'csv-mapping': 'json' }[kind];
const isGzip = (head: Buffer) => head[0] === 0x1f && head[1] === 0x8b;
export const DEFAULT_UPLOAD_LIMIT = 512 * 1024 * 1024;
const MAPPING_LIMIT = 64 * 1024;
const HEAD_BYTES = 64 * 1024;

/** The client's own name of the file, kept for the audit and the answer only: never a path. */
const clientName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/]/.test(n) && n !== '.' && n !== '..' && ![...n].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), 'a bare file name: no "/", "\\", "..", or control characters')
  .optional();

const fail = (error: string, message: string) => new ApiError(422, error, message);

/** Checks the first bytes of the upload against its kind; the importer checks the rest as it reads. */
function checkHead(kind: UploadKind, head: Buffer): void {
  if (kind === 'csv-mapping') return; // parsed whole after the upload
  if (kind === 'pages') {
    try {
      tarPacking(head);
    } catch (e) {
      if (e instanceof ArchiveRefused) throw fail('wrong_kind', `this is not a page archive (.tar or .tar.gz): ${e.message}`);
      throw e;
    }
    return;
  }
  if (kind === 'warc') {
    let start = head;
    if (isGzip(head)) {
      const inner = gunzipHead(head);
      if (!inner) throw fail('wrong_kind', 'this is not a WARC file: corrupt gzip data at its start');
      start = inner;
    }
    if (!start.subarray(0, 8).toString('latin1').startsWith('WARC/')) throw fail('wrong_kind', 'this is not a WARC file (.warc or .warc.gz): its first record does not start with "WARC/"');
    return;
  }
  if (head.includes(0)) throw fail('wrong_kind', `this is not a ${kind} file: it holds NUL bytes (binary)`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head).replace(/^\uFEFF/, '');
  const start = text.trimStart();
  if (kind === 'telegram') {
    if (!start.startsWith('{') || !/"messages"\s*:\s*\[/.test(text))
      throw fail('wrong_kind', 'this is not a Telegram Desktop export: expected the JSON of "Export chat history" (result.json, an object with "messages": [...])');
  } else if (kind === 'dump') {
    if (!/\b(create\s+table|insert\s+into)\b/i.test(text)) throw fail('wrong_kind', 'this is not an SQL dump: no CREATE TABLE or INSERT INTO in its first 64 KiB');
  } else if (kind === 'csv') {
    const firstLine = start.split(/\r?\n/, 1)[0] ?? '';
    if (start.startsWith('{') || start.startsWith('[') || !/[,;\t|]/.test(firstLine)) throw fail('wrong_kind', 'this is not a CSV file: its first line is not a delimited header');
  }
}

/**
 * Upload of an import file into the workers' import directory: streamed to disk under a name the server picks
 * (`uploads/<agency>/<uuid>.<ext>`), bounded in size, its first bytes checked against the kind, audited. The
 * answer's `file` is what the import job's payload names.
 */
export function register({ app, opts }: RouteContext): void {
  const limit = opts.importUploadLimit ?? DEFAULT_UPLOAD_LIMIT;
  const importDir = () => path.resolve(opts.importDir ?? process.env.DARKPATROL_IMPORT_DIR ?? '.darkpatrol/imports');
  void app.register(async (sub: App) => {
    // The body is read by the handler, as a stream, never buffered whole.
    sub.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null, undefined));
    sub.post(
      '/imports/uploads',
      {
        config: { access: { ...ACCESS.intelWrite, audit: 'import.upload' }, bodyCheckedByHandler: true },
        schema: {
          tags: ['jobs'],
          summary: "Upload a file to import (body: the file's bytes as application/octet-stream); answered with the file name an import job takes",
          querystring: z.object({ kind: z.enum(UPLOAD_KINDS), name: clientName }),
        },
      },
      async (req, reply) => {
        const p = who(req.principal);
        const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (ct !== 'application/octet-stream') throw new ApiError(415, 'unsupported_media_type', "send the file's bytes as application/octet-stream");
        const kind = req.query.kind;
        const max = kind === 'csv-mapping' ? MAPPING_LIMIT : limit;
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > max) throw new ApiError(413, 'too_large', `the file is ${declared} bytes; at most ${max} bytes are taken for ${kind}`);
        const stem = path.posix.join('uploads', String(p.agencyId), randomUUID());
        const partDir = path.join(importDir(), path.dirname(stem));
        mkdirSync(partDir, { recursive: true });
        const part = path.join(importDir(), `${stem}.part`);
        let rel = '';
        const hash = createHash('sha256');
        let bytes = 0;
        let head = Buffer.alloc(0);
        let checked = false;
        const meter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            bytes += chunk.length;
            if (bytes > max) return cb(new ApiError(413, 'too_large', `the file is larger than ${max} bytes, the most taken for ${kind}`));
            hash.update(chunk);
            if (!checked) {
              head = Buffer.concat([head, chunk]).subarray(0, HEAD_BYTES);
              if (head.length >= HEAD_BYTES) {
                try {
                  checkHead(kind, head);
                } catch (e) {
                  return cb(e as Error);
                }
                checked = true;
              }
            }
            cb(null, chunk);
          },
        });
        try {
          // The request is piped by hand, not through pipeline(): a refusal (too large, wrong kind) must not destroy
          // the connection before the 413/422 is sent; an interrupted upload still ends the write.
          const src = req.raw;
          const written = pipeline(meter, createWriteStream(part, { flags: 'wx', mode: 0o640 }));
          const interrupted = () => {
            if (!src.complete) meter.destroy(Object.assign(new Error('upload interrupted'), { code: 'ECONNRESET' }));
          };
          src.once('error', interrupted);
          src.once('close', interrupted);
          src.pipe(meter);
          try {
            await written;
          } finally {
            src.off('error', interrupted);
            src.off('close', interrupted);
            src.unpipe(meter);
            src.resume(); // the rest of a refused body is discarded; the answer closes the connection
          }
          if (bytes === 0) throw fail('empty_file', 'the file is empty');
          if (!checked) checkHead(kind, head);
          if (kind === 'csv-mapping') {
            let json: unknown;
            try {
              json = JSON.parse(readFileSync(part, 'utf8'));
            } catch {
              throw fail('wrong_kind', 'a CSV mapping is a JSON object ({"vendor": "column", "title": "column", ...})');
            }
            const m = CsvMappingSchema.safeParse(json);
            if (!m.success) throw fail('bad_mapping', `not a CSV mapping: ${m.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
          }
          rel = `${stem}.${ext(kind, isGzip(head))}`;
          renameSync(part, path.join(importDir(), rel));
        } catch (e) {
          rmSync(part, { force: true });
          if (e instanceof ApiError) {
            // The client may still be sending: answer now and drop the rest of the body.
            reply.header('connection', 'close');
            throw e;
          }
          if ((e as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as { code?: string }).code === 'ECONNRESET') throw badRequest('the upload was interrupted');
          throw e;
        }
        const sha256 = hash.digest('hex');
        req.auditObject = { type: 'import_upload', id: rel, detail: { kind, bytes, sha256, name: req.query.name ?? null } };
        return reply.code(201).send({ file: rel, kind, bytes, sha256, name: req.query.name ?? null });
      },
    );
  });
}
