import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Header, type HeaderData } from 'tar';

/** One entry of a hand-made tar: a file (body), a folder, or a link/device as a hostile archive would hold. */
export interface TarEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  body?: Buffer | string;
  linkpath?: string;
  mtime?: Date;
}

/**
 * A tar archive built header by header (tar's own Header encoder), so a test can write what a packer never would:
 * "../" and absolute paths, links, devices. Paths over 100 bytes are not needed here.
 */
export function tarOf(entries: TarEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const type = e.type ?? 'File';
    const h = new Header({ path: e.path, type, size: type === 'File' ? body.length : 0, mode: type === 'Directory' ? 0o755 : 0o644, mtime: e.mtime ?? new Date('2014-04-06T12:00:00Z'), linkpath: e.linkpath, uid: 0, gid: 0, uname: '', gname: '' } as HeaderData);
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    out.push(block);
    if (type === 'File' && body.length) out.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** Every file under `dir` as tar entries named `prefix/<relative path>` (sorted): a real folder packed. */
export function tarOfFolder(dir: string, prefix: string): Buffer {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
  return tarOf(files.map((rel) => ({ path: `${prefix}/${rel}`, body: readFileSync(path.join(dir, rel)) })));
}
