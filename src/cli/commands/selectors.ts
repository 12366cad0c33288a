import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { telegramExportTexts } from '../../collect/index.ts';
import { extractSelectorsDetailed, uniqueSelectors, type PgpKeyError, type Selector } from '../../extract/selectors/index.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';

/** Input read at most per file (the extractor itself scans at most 16 Mi characters of one text). */
const MAX_INPUT = 256 * 1024 * 1024;

interface FileSelectors {
  file: string;
  selectors: Selector[];
  unreadable: PgpKeyError[];
  truncated: boolean;
}

function readInput(file: string): string {
  try {
    if (file === '-') return readFileSync(0, 'utf8');
    if (statSync(file).size > MAX_INPUT) throw new UserError(`${file} is larger than ${MAX_INPUT / 1024 / 1024} MiB`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Every selector in one input: a Telegram Desktop export is read message by message (with hidden link targets). */
async function selectorsOf(file: string, text: string): Promise<FileSelectors> {
  const chat = telegramExportTexts(text);
  const texts = chat ?? [text];
  const out: FileSelectors = { file, selectors: [], unreadable: [], truncated: false };
  for (const t of texts) {
    const r = await extractSelectorsDetailed(t, chat ? { html: false, atHandlesAre: 'telegram' } : { html: 'auto' });
    out.selectors.push(...r.selectors);
    out.unreadable.push(...r.errors);
    out.truncated ||= r.truncated;
  }
  out.selectors = uniqueSelectors(out.selectors);
  return out;
}

function describe(s: Selector): string {
  switch (s.kind) {
    case 'pgp_key': {
      const m = s.meta;
      if (!m || m.source === 'fingerprint') return `pgp_key   ${s.value}  (fingerprint written in the text, key id ${m?.keyId ?? s.value.slice(-16)})`;
      const algo = `${m.algorithm}${m.bits ? ` ${m.bits}` : ''}${m.curve ? ` ${m.curve}` : ''}`;
      return [
        `pgp_key   ${s.value}  (primary, ${algo}, created ${m.created.slice(0, 10)})`,
        ...m.userIds.map((u) => `          user id  ${u}`),
        ...m.subkeys.map((k) => `          subkey   ${k.fingerprint}  (${k.algorithm}${k.bits ? ` ${k.bits}` : ''}${k.curve ? ` ${k.curve}` : ''}, created ${k.created.slice(0, 10)})`),
        ...(m.repairs.length ? [`          repaired ${m.repairs.join(', ')}`] : []),
      ].join('\n');
    }
    case 'btc_address':
    case 'ltc_address':
    case 'xmr_address':
    case 'eth_address':
      return `${s.kind.padEnd(9)} ${s.value}  (${s.meta?.type ?? '?'}, ${s.meta?.network ?? 'mainnet'})`;
    case 'onion':
      return `onion     ${s.value}  (v${s.meta?.version ?? '?'})`;
    case 'email':
      return `email     ${s.value}${s.meta?.source === 'pgp_uid' ? '  (from a PGP user id)' : s.meta?.obfuscated ? '  (written obfuscated)' : ''}`;
    case 'phone':
      return `phone     ${s.value}${s.meta?.context ? `  (${s.meta.context})` : ''}`;
    default:
      return `${s.kind.padEnd(9)} ${s.value}${s.meta && 'via' in s.meta ? `  (${s.meta.via === 'link' ? 'link target' : s.meta.via})` : ''}`;
  }
}

export function register(program: Command): void {
  program
    .command('selectors')
    .description('print every selector in files or standard input (-): PGP keys (fingerprint, subkeys, user ids, creation date), coin addresses with their network, onions, e-mails, phones, messenger handles and link targets; a Telegram Desktop result.json is read message by message')
    .argument('<files...>', 'files to read, or - for standard input')
    .option('--json', 'machine-readable output (every selector with its offset, raw text and meta)')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const results: FileSelectors[] = [];
      for (const f of files) results.push(await selectorsOf(f === '-' ? '-' : f, readInput(f)));
      emit(opts.json ?? false, results, () =>
        results
          .map((r) =>
            [
              `${r.file === '-' ? '(standard input)' : r.file}: ${r.selectors.length} selector(s)${r.truncated ? ' (input cut at a size cap)' : ''}`,
              ...r.selectors.map((s) => `  ${describe(s).replaceAll('\n', '\n  ')}`),
              ...r.unreadable.map((e) => `  unreadable PGP block at offset ${e.offset}: ${e.reason} — ${e.detail}`),
            ].join('\n'),
          )
          .join('\n\n'),
      );
    });
}
