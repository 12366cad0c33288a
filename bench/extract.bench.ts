/**
 * Extraction speed: the Agora adapter (and the generic extractor) over the Agora fixture pages, `--rounds` times,
 * then the same field extraction in Python with BeautifulSoup + lxml (bench/extract_bs4.py, Debian's
 * python3-bs4/python3-lxml) and with lxml.html + compiled XPath alone (`--engine lxml`), and beside them the limit: a
 * raw htmlparser2 parse of the same pages (no extraction), so `adapterVsRawParse` and `adapterVsLxml` are ratios from
 * one run (`adapterVsRawParseInterleaved`: the two timed in alternating blocks, wall and CPU). Pages are read into
 * memory first; the timed part is
 * decode + parse + extract. Prints one JSON line per engine, then one combined JSON line (last line).
 *
 *   npx tsx bench/extract.bench.ts [--rounds 50] [--bs4-rounds 10] [--dir ../shared/fixtures/agora-2014-04-06] [--no-bs4]
 *
 * `--against <checkout>` compares this tree's Agora adapter with another checkout's (e.g. a detached worktree of main)
 * instead: the raw parse, this tree and the other timed interleaved in blocks in this one process (the two trees'
 * order swapped every block), CPU seconds each and their ratios; prints that one JSON line and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'htmlparser2';
import { extractPage } from '../src/extract/adapter/run.ts';
import { agoraAdapter } from '../src/extract/adapters/agora.ts';
import { extractGeneric } from '../src/extract/generic/index.ts';
import type { ExtractResult } from '../src/extract/types.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}
const dirIdx = process.argv.indexOf('--dir');
const dir = dirIdx >= 0 ? process.argv[dirIdx + 1]! : '../shared/fixtures/agora-2014-04-06';
const rounds = arg('rounds', 50);
const bs4Rounds = arg('bs4-rounds', 10);

const pages = ['p', 'cat', 'vendor'].flatMap((sub) =>
  readdirSync(join(dir, sub))
    .sort()
    .map((name) => ({ url: `http://agorahooawayyfoe.onion/${sub}/${name}`, bytes: readFileSync(join(dir, sub, name)) })),
);
const totalBytes = pages.reduce((n, p) => n + p.bytes.length, 0);

function countFields(r: ExtractResult): number {
  let n = 0;
  const visit = (x: unknown): void => {
    if (x === null || x === undefined) return;
    if (Array.isArray(x)) return x.forEach(visit);
    if (typeof x === 'object') return Object.values(x).forEach(visit);
    n++;
  };
  visit(r.listings);
  visit(r.vendors);
  visit(r.feedback);
  return n;
}

function run(name: string, fn: (p: (typeof pages)[number]) => ExtractResult, n: number) {
  let fields = 0;
  for (const p of pages) fields += countFields(fn(p)); // warm-up, and the work check
  const t0 = performance.now();
  for (let r = 0; r < n; r++) for (const p of pages) fn(p);
  const secs = (performance.now() - t0) / 1000;
  const count = n * pages.length;
  return {
    bench: 'extract',
    engine: name,
    pages: count,
    seconds: Math.round(secs * 1000) / 1000,
    pagesPerSecond: Math.round((count / secs) * 10) / 10,
    mbPerSecond: Math.round(((totalBytes * n) / secs / 1e6) * 100) / 100,
    fieldsPerRound: fields,
  };
}

// The limit: a raw htmlparser2 parse of the same pages (bytes → UTF-8 string → DOM), nothing extracted.
const rawParse = (p: (typeof pages)[number]): ExtractResult => {
  parseDocument(p.bytes.toString('utf8'), { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  return { listings: [], vendors: [], feedback: [] } as unknown as ExtractResult;
};
const input = (p: (typeof pages)[number]) => ({ url: p.url, html: p.bytes, capturedAt: '2014-04-06T12:00:00Z', captureDigest: 'sha256:bench' });
const agoraFn = (p: (typeof pages)[number]) => extractPage(agoraAdapter, input(p));

/**
 * Sides timed interleaved, in blocks of rounds, in this one process: the machine's load drifts during a run, so
 * timing one whole phase after the other lets the drift into the ratio. Wall and CPU seconds (process.cpuUsage: this
 * thread plus V8's GC helper threads) are summed per side. `swap`: the sides after the first change order every block.
 */
function interleaved(sides: ReadonlyArray<(p: (typeof pages)[number]) => unknown>, n: number, blocks = 10, swap = false) {
  const wall = sides.map(() => 0);
  const cpu = sides.map(() => 0);
  for (const f of sides) for (const p of pages) f(p);
  const per = Math.max(1, Math.round(n / blocks));
  for (let b = 0; b < blocks; b++) {
    const order = sides.map((_, i) => i);
    if (swap && b % 2 === 1) order.splice(1, order.length - 1, ...order.slice(1).reverse());
    for (const i of order) {
      const f = sides[i]!;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let r = 0; r < per; r++) for (const p of pages) f(p);
      wall[i]! += (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      cpu[i]! += (c.user + c.system) / 1e6;
    }
  }
  return { count: per * blocks * pages.length, wall, cpu };
}
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r2 = (x: number) => Math.round(x * 100) / 100;

const againstIdx = process.argv.indexOf('--against');
if (againstIdx >= 0) {
  const tree = resolve(process.argv[againstIdx + 1] ?? '');
  const other = (await import(pathToFileURL(join(tree, 'src/extract/adapter/run.ts')).href)) as { extractPage: typeof extractPage };
  const otherAdapter = ((await import(pathToFileURL(join(tree, 'src/extract/adapters/agora.ts')).href)) as { agoraAdapter: typeof agoraAdapter }).agoraAdapter;
  const m = interleaved([rawParse, agoraFn, (p) => other.extractPage(otherAdapter, input(p))], rounds, 10, true);
  const side = (i: number) => ({ cpuSeconds: r3(m.cpu[i]!), seconds: r3(m.wall[i]!), cpuVsRawParse: r2(m.cpu[i]! / m.cpu[0]!) });
  console.log(
    JSON.stringify({
      bench: 'extract',
      engine: 'raw parse, this tree and --against, interleaved',
      pagesEach: m.count,
      rawParse: { cpuSeconds: r3(m.cpu[0]!), seconds: r3(m.wall[0]!) },
      thisTree: side(1),
      against: { tree, ...side(2) },
      /** This tree's CPU over the other's, minus one (negative: this tree is cheaper). */
      cpuChange: Math.round((m.cpu[1]! / m.cpu[2]! - 1) * 1000) / 1000,
    }),
  );
  process.exit(0);
}

const raw = run(`node ${process.version} htmlparser2 parseDocument (raw parse, no extraction)`, rawParse, rounds);
console.log(JSON.stringify(raw));
const agora = run(`node ${process.version} darkpatrol agora adapter (htmlparser2 + cheerio)`, agoraFn, rounds);
console.log(JSON.stringify(agora));
const timed = interleaved([rawParse, agoraFn], rounds);
const mixed = {
  pagesEach: timed.count,
  rawParse: { seconds: r3(timed.wall[0]!), cpuSeconds: r3(timed.cpu[0]!), pagesPerSecond: Math.round((timed.count / timed.wall[0]!) * 10) / 10 },
  agoraAdapter: { seconds: r3(timed.wall[1]!), cpuSeconds: r3(timed.cpu[1]!), pagesPerSecond: Math.round((timed.count / timed.wall[1]!) * 10) / 10 },
  wallRatio: r2(timed.wall[1]! / timed.wall[0]!),
  cpuRatio: r2(timed.cpu[1]! / timed.cpu[0]!),
};
console.log(JSON.stringify({ bench: 'extract', engine: 'raw parse and agora adapter, interleaved', ...mixed }));
const generic = run(`node ${process.version} darkpatrol generic extractor`, (p) => extractGeneric(input(p)), Math.max(1, Math.floor(rounds / 5)));
console.log(JSON.stringify(generic));

function python(engine: 'bs4' | 'lxml', n: number): Record<string, unknown> | { error: string } {
  const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const res = spawnSync(py, [join(import.meta.dirname, 'extract_bs4.py'), '--engine', engine, '--rounds', String(n), '--dir', dir], {
    encoding: 'utf8',
    timeout: 30 * 60_000,
  });
  const last = res.stdout?.trim().split('\n').at(-1);
  const out = res.status === 0 && last ? (JSON.parse(last) as Record<string, unknown>) : { error: (res.stderr || res.error?.message || `${engine} run failed`).trim().slice(0, 300) };
  console.log(JSON.stringify(out));
  return out;
}

let bs4: Record<string, unknown> | { error: string } = { error: 'skipped (--no-bs4)' };
let lxml: Record<string, unknown> | { error: string } = { error: 'skipped (--no-bs4)' };
if (!process.argv.includes('--no-bs4')) {
  bs4 = python('bs4', bs4Rounds);
  lxml = python('lxml', rounds);
}

const bs4Rate = 'pagesPerSecond' in bs4 ? Number(bs4.pagesPerSecond) : null;
console.log(
  JSON.stringify({
    bench: 'extract',
    fixturePages: pages.length,
    fixtureMB: Math.round((totalBytes / 1e6) * 100) / 100,
    rawParse: raw,
    agoraAdapter: agora,
    /** How many times slower the adapter is than a raw parse of the same pages (target ≤ 2). */
    adapterVsRawParse: Math.round((raw.pagesPerSecond / agora.pagesPerSecond) * 100) / 100,
    /** The same, timed interleaved in blocks (load drift cancels): wall and CPU ratios. */
    adapterVsRawParseInterleaved: { wall: mixed.wallRatio, cpu: mixed.cpuRatio },
    genericExtractor: generic,
    bs4Lxml: bs4,
    lxmlXpath: lxml,
    adapterSpeedupVsBs4: bs4Rate ? Math.round((agora.pagesPerSecond / bs4Rate) * 10) / 10 : null,
    /** Adapter pages/s over lxml.html + XPath pages/s on the same pages and fields (target ≥ 1). */
    adapterVsLxml: 'pagesPerSecond' in lxml ? Math.round((agora.pagesPerSecond / Number(lxml.pagesPerSecond)) * 100) / 100 : null,
  }),
);
