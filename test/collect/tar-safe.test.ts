/**
 * Page archives come from outside: hostile entries (path traversal, absolute paths, links, devices, repeated
 * paths, oversize files) are skipped with their reason and nothing is written outside the destination; an
 * archive over the entry or size limit (a gzip bomb) is refused whole; other packings are refused with a hint.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveRefused, unpackTar, type TarLimits } from '../../src/collect/index.ts';
import { fixtureDir } from '../helpers/fixtures.ts';
import { tarOf, tarOfFolder } from '../helpers/tar.ts';

const AGORA = fixtureDir('agora-2014-04-06');
const LIMITS: TarLimits = { maxBytes: 8 * 1024 * 1024, maxEntries: 1000, maxFileBytes: 1024 * 1024 };
let root: string;
let n = 0;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'dp-tar-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes the archive to root/case-N/in.tar(.gz) and unpacks it into root/case-N/out/. */
async function unpack(archive: Buffer, limits = LIMITS) {
  const base = path.join(root, `case-${++n}`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base);
  const file = path.join(base, 'in.tar');
  writeFileSync(file, archive);
  const out = path.join(base, 'out');
  return { base, out, run: () => unpackTar(file, out, limits) };
}
const filesUnder = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => !d.isDirectory()).map((d) => path.relative(dir, path.join(d.parentPath, d.name))).sort();

describe('unpackTar', () => {
  it('unpacks the real Agora pages (.tar.gz) with their folders and modification times', async () => {
    const u = await unpack(gzipSync(tarOfFolder(AGORA, 'agora-2014-04-06')));
    const r = await u.run();
    expect(r.files).toBe(40);
    expect(r.skipped).toBe(0);
    const rel = 'agora-2014-04-06/vendor/Demonic';
    expect(readFileSync(path.join(u.out, rel)).equals(readFileSync(path.join(AGORA, 'vendor/Demonic')))).toBe(true);
    expect(lstatSync(path.join(u.out, rel)).mtime.toISOString()).toBe('2014-04-06T12:00:00.000Z');
  });

  it('skips traversal, absolute paths, links, devices, FIFOs, repeated paths and oversize files with the reason, writing nothing outside', async () => {
    const u = await unpack(
      tarOf([
        { path: 'ok/page.html', body: '<html><body>ok</body></html>' },
        { path: '../escape.html', body: 'x' },
        { path: 'ok/../../escape2.html', body: 'x' },
        { path: '/tmp/absolute.html', body: 'x' },
        { path: 'ok/link', type: 'SymbolicLink', linkpath: '/etc/passwd' },
        { path: 'ok/hard', type: 'Link', linkpath: '../../etc/passwd' },
        // A symlink to outside, then a file "through" it: the link is never made, so the file lands inside.
        { path: 'via', type: 'SymbolicLink', linkpath: '..' },
        { path: 'via/through.html', body: '<html></html>' },
        { path: 'dev/null', type: 'CharacterDevice' },
        { path: 'dev/sda', type: 'BlockDevice' },
        { path: 'fifo', type: 'FIFO' },
        { path: 'ok/page.html', body: 'a second copy that must not overwrite the first' },
        { path: 'big.html', body: Buffer.alloc(LIMITS.maxFileBytes + 1, 0x61) },
      ]),
    );
    const r = await u.run();
    expect(filesUnder(u.out)).toEqual(['ok/page.html', 'via/through.html']);
    expect(readFileSync(path.join(u.out, 'ok/page.html'), 'utf8')).toContain('ok');
    expect(filesUnder(u.base)).toEqual(['in.tar', 'out/ok/page.html', 'out/via/through.html']);
    expect(existsSync('/tmp/absolute.html')).toBe(false);
    const why = Object.fromEntries(r.skips.map((s) => [s.path, s.reason]));
    expect(why['../escape.html']).toMatch(/leaves the archive/);
    expect(why['ok/../../escape2.html']).toMatch(/leaves the archive/);
    expect(why['/tmp/absolute.html']).toMatch(/absolute path/);
    expect(why['ok/link']).toMatch(/symbolic link.*\/etc\/passwd/);
    expect(why['ok/hard']).toMatch(/hard link/);
    expect(why.via).toMatch(/symbolic link/);
    expect(why['dev/null']).toMatch(/device/);
    expect(why['dev/sda']).toMatch(/device/);
    expect(why.fifo).toMatch(/FIFO/);
    expect(why['big.html']).toMatch(/over the 1048576-byte limit/);
    expect(r.skips.filter((s) => s.path === 'ok/page.html').map((s) => s.reason)).toEqual(['not written: a second entry of the same path']);
    expect(r.skipped).toBe(11);
    expect(r.files).toBe(2);
  });

  it('stops a gzip bomb at the size limit with a clear error', async () => {
    // 64 MiB of zeros in one entry: about 64 KiB compressed, 8 times the 8 MiB limit unpacked.
    const bomb = gzipSync(tarOf([{ path: 'zeros.html', body: Buffer.alloc(64 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const u = await unpack(bomb);
    await expect(u.run()).rejects.toThrow(/unpacks to more than 8388608 bytes.*gzip bomb/);
  });

  it('refuses an archive with more entries than the limit', async () => {
    const u = await unpack(tarOf(Array.from({ length: 12 }, (_, i) => ({ path: `p/${i}.html`, body: '<html></html>' }))), { ...LIMITS, maxEntries: 10 });
    await expect(u.run()).rejects.toThrow(/more than 10 entries/);
  });

  it('refuses other packings with a hint on repacking, and what is not a tar at all', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(600)]), /\.tar\.xz.*xz -dc .*gzip/],
      [Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(600)]), /\.zip.*unzip.*tar czf/],
      [Buffer.concat([Buffer.from('BZh91AY'), Buffer.alloc(600)]), /\.tar\.bz2.*bzip2 -dc/],
      [Buffer.from('<html>not an archive</html>'.padEnd(1024, ' ')), /not a tar archive/],
      [gzipSync(Buffer.from('just text, no tar inside'.padEnd(1024, ' '))), /does not hold a tar archive/],
      [gzipSync(gzipSync(tarOf([{ path: 'a.html', body: '<html></html>' }]))), /does not hold a tar archive/],
    ];
    for (const [bytes, msg] of cases) {
      const u = await unpack(bytes);
      const err = await u.run().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveRefused);
      expect((err as Error).message).toMatch(msg);
    }
  });

  it('reports a truncated or corrupt gzip stream as such', async () => {
    const whole = gzipSync(tarOfFolder(AGORA, 'agora'));
    const u = await unpack(whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(u.run()).rejects.toThrow(ArchiveRefused);
  });
});
