// `darkpatrol adapter …`: induce a declarative adapter from a few labelled pages of a new market, see what it gets
// out of the market's other captures (per-field coverage), and save, list and show induced adapters (versioned,
// agency-scoped, audited) so that `extract --reparse` re-reads the evidence with them.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';
import {
  adapterFromJson,
  adapterToJson,
  AdapterError,
  coverageReport,
  induceAdapter,
  LabelError,
  parseLabels,
  type Adapter,
  type CoverageReport,
  type InduceResult,
  type LabelFile,
} from '../../extract/index.ts';
import { listInducedAdapters, loadInducedAdapter, saveInducedAdapter, type AdapterOwner } from '../../extract/store/induced.ts';
import type { Database } from '../../store/index.ts';
import type { Kysely } from 'kysely';
import { userInfo } from 'node:os';

/** The agency acting (by code), audited as the local CLI user. */
async function cliOwner(db: Kysely<Database>, code: string | undefined): Promise<AdapterOwner> {
  if (!code) throw new UserError('--agency <code> is required');
  const agency = await db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
  if (!agency) throw new UserError(`no agency ${code}`);
  return { agencyId: agency.id, userId: null, actor: `cli:${userInfo().username}` };
}

const MAX_PAGES = 5000;
const MAX_PAGE_BYTES = 8 * 1024 * 1024;

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

export function readLabels(file: string): LabelFile {
  const text = readText(file, 'labels');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not JSON: ${(e as Error).message}`);
  }
  try {
    return parseLabels(raw);
  } catch (e) {
    if (e instanceof LabelError) throw new UserError(`${file}: ${e.message}`);
    throw e;
  }
}

export function readAdapterFile(file: string): Adapter {
  try {
    return adapterFromJson(readText(file, 'adapter'));
  } catch (e) {
    if (e instanceof AdapterError) throw new UserError(`${file}: ${e.message}`);
    throw e;
  }
}

/** A page file inside `dir` (no escaping the directory with `..` or absolute paths). */
function pageFile(dir: string, rel: string): string {
  const root = path.resolve(dir);
  const full = path.resolve(root, rel);
  if (full !== root && !full.startsWith(root + path.sep)) throw new UserError(`label file '${rel}' is outside ${dir}`);
  return full;
}

/** Every regular file under `dir` (HTML pages of a market), relative paths, sorted; bounded. */
function walkPages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const full = path.join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full, rel ? `${rel}/${name}` : name);
      else if (st.isFile() && st.size > 0 && st.size <= MAX_PAGE_BYTES && !/\.(py|md|txt|json|css|js|png|jpe?g|gif)$/i.test(name)) out.push(rel ? `${rel}/${name}` : name);
      if (out.length > MAX_PAGES) throw new UserError(`more than ${MAX_PAGES} files under ${dir}`);
    }
  };
  try {
    walk(dir, '');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read pages directory ${dir}: ${(e as Error).message}`);
  }
  return out;
}

function pageInput(dir: string, rel: string, url: string | undefined, charset: string | undefined) {
  return {
    url: url ?? `http://induce.invalid/${rel.split('/').map(encodeURIComponent).join('/')}`,
    html: readFileSync(pageFile(dir, rel)),
    capturedAt: new Date(statSync(pageFile(dir, rel)).mtimeMs).toISOString(),
    captureDigest: `file:${rel}`,
    ...(charset ? { contentType: `text/html; charset=${charset}` } : {}),
  };
}

function formatInduce(r: InduceResult): string[] {
  const out = [`adapter ${r.adapter.id}@${r.adapter.version} for ${r.adapter.market} (hosts: ${r.adapter.hosts?.join(', ') || '-'}), induced in ${Math.round(r.millis)} ms`];
  out.push(table(['page type', 'field', 'read', 'labelled', 'candidates', 'chosen'], r.fields.map((f) => [f.pageType, f.field, f.correct, f.labelled, f.candidates, f.chosen.map((c) => c.selector ?? '(page)').join(' | ').slice(0, 80)])));
  for (const f of r.fields) for (const p of f.problems) out.push(`  ${f.pageType} ${f.field}: ${p}`);
  for (const p of r.pageTypeRules) out.push(`page type ${p.pageType}: ${p.rule ? `${p.rule.selector}${p.rule.text ? ` + text /${String(p.rule.text)}/` : ''}` : p.problem}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return out;
}

function formatCoverage(c: CoverageReport, label: string): string[] {
  return [
    `${label}: ${c.pages} page(s); page types: ${Object.entries(c.pageTypes).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
    table(['page type', 'field', 'pages', 'with value', 'coverage'], c.fields.map((f) => [f.pageType, f.field, f.pages, f.withValue, f.coverage.toFixed(3)])),
  ];
}

function coverageOn(adapter: Adapter, dir: string, files: string[], charset: string | undefined): CoverageReport {
  const { results: _results, ...rep } = coverageReport(adapter, files.map((f) => ({ ref: f, input: pageInput(dir, f, undefined, charset) })));
  return rep;
}

export function register(program: Command): void {
  const cmd = program.command('adapter').description('induce market adapters from labelled pages, check their coverage, save and list them');

  cmd
    .command('induce')
    .description('induce a declarative adapter from labelled example pages (≤ 5 per page type) and report its coverage on the other pages of the directory')
    .requiredOption('--labels <file>', 'labels JSON: { market, pages: [{ file, url?, pageType, fields: { "listing.title": "…" | {css} … } }] }')
    .requiredOption('--pages <dir>', 'directory holding the labelled pages (and the rest of the market\'s captures)')
    .option('--out <file>', 'write the adapter JSON here')
    .option('--version <semver>', 'adapter version', '1.0.0')
    .option('--charset <name>', 'decode the page files as this charset (files saved without their HTTP header)')
    .option('--save', 'also save it in the database as the next version for the agency')
    .option('--agency <code>', 'owning agency (with --save)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { labels: string; pages: string; out?: string; version: string; charset?: string; save?: boolean; agency?: string; json?: boolean }, command: Command) => {
      if (opts.charset && !/^[A-Za-z0-9_-]{1,40}$/.test(opts.charset)) throw new UserError('--charset must be a charset name such as utf-8');
      const labels = readLabels(opts.labels);
      const pages = labels.pages.map((l) => {
        const full = pageFile(opts.pages, l.file);
        try {
          statSync(full);
        } catch {
          throw new UserError(`labelled page ${l.file} not found under ${opts.pages}`);
        }
        return { label: l, input: pageInput(opts.pages, l.file, l.url, opts.charset) };
      });
      let r: InduceResult;
      try {
        r = induceAdapter(labels, pages, { version: opts.version });
      } catch (e) {
        if (e instanceof AdapterError) throw new UserError(`induction produced an unusable adapter: ${e.message}`);
        throw e;
      }
      const labelled = new Set(labels.pages.map((p) => p.file));
      const rest = walkPages(opts.pages).filter((f) => !labelled.has(f));
      const coverage = coverageOn(r.adapter, opts.pages, rest, opts.charset);
      if (opts.out) writeFileSync(opts.out, adapterToJson(r.adapter) + '\n');
      let saved: { version: string; id: number } | null = null;
      if (opts.save) {
        saved = await withStore(command, async (store) => saveInducedAdapter(store.db, await cliOwner(store.db, opts.agency), r.adapter, { labels: labels.pages.length }));
      }
      emit(opts.json ?? false, { adapter: r.adapter, fields: r.fields, pageTypeRules: r.pageTypeRules, warnings: r.warnings, coverage, saved }, () =>
        [...formatInduce(r), ...formatCoverage(coverage, `coverage on the other ${rest.length} file(s) of ${opts.pages}`), opts.out ? `written to ${opts.out}` : '', saved ? `saved as ${r.adapter.id}@${saved.version}` : '']
          .filter((l) => l !== '')
          .join('\n'),
      );
    });

  cmd
    .command('apply')
    .description('run an adapter (JSON file, or a saved one by id) over a directory of captured pages: page types and per-field coverage')
    .option('--adapter <file>', 'adapter JSON')
    .option('--id <id>', 'a saved induced adapter (latest version, or id@version)')
    .option('--agency <code>', 'owning agency (with --id)')
    .requiredOption('--pages <dir>', 'directory of captured pages')
    .option('--charset <name>', 'decode the page files as this charset')
    .option('--json', 'machine-readable output')
    .action(async (opts: { adapter?: string; id?: string; agency?: string; pages: string; charset?: string; json?: boolean }, command: Command) => {
      if (!opts.adapter === !opts.id) throw new UserError('give either --adapter FILE or --id ID');
      if (opts.charset && !/^[A-Za-z0-9_-]{1,40}$/.test(opts.charset)) throw new UserError('--charset must be a charset name such as utf-8');
      const adapter = opts.adapter
        ? readAdapterFile(opts.adapter)
        : await withStore(command, async (store) => {
            const got = await loadInducedAdapter(store.db, (await cliOwner(store.db, opts.agency)).agencyId, opts.id!);
            if (!got) throw new UserError(`no saved adapter ${opts.id}`);
            return got.adapter;
          });
      const coverage = coverageOn(adapter, opts.pages, walkPages(opts.pages), opts.charset);
      emit(opts.json ?? false, coverage, () => formatCoverage(coverage, `${coverage.adapter} on ${opts.pages}`).join('\n'));
    });

  cmd
    .command('save <file>')
    .description('save an adapter JSON as the next version of its id for this agency (audited)')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--market <slug>', 'the market whose captures it reads (default: by host)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { agency: string; market?: string; json?: boolean }, command: Command) => {
      const adapter = readAdapterFile(file);
      const saved = await withStore(command, async (store) => saveInducedAdapter(store.db, await cliOwner(store.db, opts.agency), adapter, { marketSlug: opts.market }).catch((e: Error) => {
        if (/no market with slug/.test(e.message)) throw new UserError(e.message);
        throw e;
      }));
      emit(opts.json ?? false, saved, () => `saved ${adapter.id}@${saved.version}${saved.market ? ` for market ${saved.market}` : ''}`);
    });

  cmd
    .command('list')
    .description('induced adapters saved for the agency (every version)')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--json', 'machine-readable output')
    .action(async (opts: { agency: string; json?: boolean }, command: Command) => {
      await withStore(command, async (store) => {
        const rows = await listInducedAdapters(store.db, (await cliOwner(store.db, opts.agency)).agencyId);
        emit(opts.json ?? false, rows, () =>
          rows.length === 0 ? 'no induced adapters saved' : table(['adapter', 'version', 'market', 'hosts', 'saved by', 'saved at'], rows.map((r) => [r.adapterId, r.version, r.market, r.hosts.join(', '), r.createdBy, r.createdAt])),
        );
      });
    });

  cmd
    .command('show <id>')
    .description('print a saved induced adapter (id for the latest version, or id@version) as JSON')
    .requiredOption('--agency <code>', 'owning agency')
    .action(async (id: string, opts: { agency: string }, command: Command) => {
      await withStore(command, async (store) => {
        const got = await loadInducedAdapter(store.db, (await cliOwner(store.db, opts.agency)).agencyId, id);
        if (!got) throw new UserError(`no saved adapter ${id}`);
        process.stdout.write(adapterToJson(got.adapter) + '\n');
      });
    });
}
