/**
 * `npm run bench`: runs every benchmark as its own process (so peak memory is per benchmark), and writes each
 * one's figures into docs/benchmarks.md between its markers, with the exact command that produced them.
 *
 *   npm run bench                 # all
 *   npm run bench -- store link   # only those named
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { BENCHMARKS, type Benchmark } from './registry.ts';

const DOC = 'docs/benchmarks.md';
const HEADER = `# Benchmarks

Every figure here is written by \`npm run bench\` (bench/run.ts), which runs each benchmark below as its own
process and replaces that benchmark's section. Re-run one with the command shown in its section, or
\`npm run bench -- <name>\`. No test asserts timings; these numbers are the measurement.
`;

function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [[prefix || 'value', String(value)]];
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return [[prefix, value.join(', ')]];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, commit ${commit}, load average ${loadavg()[0]!.toFixed(1)} at start, ${new Date().toISOString().slice(0, 16)}Z`;
}

function section(b: Benchmark, result: unknown, env: string): string {
  const command = `npx tsx ${b.file} ${b.args.join(' ')}`.trim();
  const rows = flatten(result).filter(([k]) => k !== 'bench');
  return [
    `<!-- bench:${b.name} -->`,
    `## ${b.title}`,
    '',
    b.about,
    '',
    `Command: \`${command}\`  `,
    `Machine: ${env}`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    `<!-- /bench:${b.name} -->`,
  ].join('\n');
}

function writeSection(doc: string, name: string, text: string): string {
  const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  return re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`;
}

/**
 * `npm run bench -- [name…] [--option value | --flag]…`: the names pick benchmarks (none = all); the options after
 * them replace the registry's value of the same option, or are added, for each picked benchmark (and its section
 * shows the command as run), e.g. `npm run bench -- dump --scale medium`.
 */
function withOverrides(args: string[], overrides: string[]): string[] {
  const out = [...args];
  for (let i = 0; i < overrides.length; i++) {
    const name = overrides[i]!;
    const value = overrides[i + 1] !== undefined && !overrides[i + 1]!.startsWith('--') ? overrides[++i] : undefined;
    const at = out.indexOf(name);
    const hasValue = at >= 0 && out[at + 1] !== undefined && !out[at + 1]!.startsWith('--');
    if (at < 0) out.push(name, ...(value === undefined ? [] : [value]));
    else out.splice(at, hasValue ? 2 : 1, name, ...(value === undefined ? [] : [value]));
  }
  return out;
}

const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('--'));
const only = firstOption < 0 ? argv : argv.slice(0, firstOption);
const overrides = firstOption < 0 ? [] : argv.slice(firstOption);
const unknown = only.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(`no benchmark named ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = BENCHMARKS.filter((b) => only.length === 0 || only.includes(b.name)).map((b) => ({
  ...b,
  args: withOverrides(b.args, overrides),
}));
let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : HEADER;
const env = machine();
let failed = 0;
for (const b of selected) {
  process.stderr.write(`▶ ${b.name}: npx tsx ${b.file} ${b.args.join(' ')}\n`);
  const run = spawnSync('npx', ['tsx', b.file, ...b.args], {
    encoding: 'utf8',
    env: { ...process.env, ...b.env },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: b.timeoutSeconds * 1000,
  });
  const lastJson = run.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (run.status !== 0 || !lastJson) {
    failed++;
    process.stderr.write(`✘ ${b.name} failed (exit ${run.status ?? run.signal}); its section is left as it was\n`);
    continue;
  }
  const result = JSON.parse(lastJson) as unknown;
  // Re-read: a long run must not overwrite what others wrote to the document meanwhile.
  doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : HEADER;
  doc = writeSection(doc, b.name, section(b, result, env));
  writeFileSync(DOC, doc);
  process.stdout.write(`${lastJson}\n`);
}
process.exitCode = failed ? 1 : 0;
