import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import {
  cashOutStix, ChainSourceError, draftExchangeRequest, exportTagPack, loadTags, MoneyInputError, parseTagPack, runMoneyTrace, saveTagPack,
  TagPackError, type AddressTag, type CashOutReport,
} from '../../money/index.ts';
import { generateLedger, publicTags, serveLedger } from '../../sim/ledger/index.ts';
import { generateWorld, isScalePreset } from '../../sim/world/index.ts';
import type { Store } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';
import { stopSignal } from '../stop-signal.ts';

async function agencyOf(store: Store, code: string): Promise<number> {
  const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
  if (!agency) throw new UserError(`no agency ${code}`);
  return agency.id;
}

async function readTagPack(file: string) {
  try {
    return parseTagPack(await readFile(file, 'utf8'));
  } catch (err) {
    if (err instanceof TagPackError) throw new UserError(`${file}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${file}: no such file`);
    throw err;
  }
}

const fmt = (v: { btc: number; usd: number | null; eur: number | null }) =>
  `${v.btc.toFixed(8)} BTC${v.usd === null ? '' : ` / USD ${v.usd.toFixed(2)}`}${v.eur === null ? '' : ` / EUR ${v.eur.toFixed(2)}`}`;

function humanReport(r: CashOutReport): string {
  return [
    `cash-out report for ${r.subject}: ${r.startAddresses.length} start address(es), ${r.clusterAddresses.length} after clustering; ${r.rule}; ≤ ${r.maxHops} hops`,
    table(['exchange', 'deposit address', 'amount', 'first', 'last', 'transfers'],
      r.exchanges.flatMap((e) => e.deposits.map((d) => [e.label, d.address, fmt(d), d.firstDate, d.lastDate, String(d.transfers.length)]))),
    ...(r.otherServices.length ? [table(['other service', 'category', 'amount'], r.otherServices.map((s) => [s.label, s.category, fmt(s)]))] : []),
    `into CoinJoin: ${fmt(r.mixed)} (${r.mixed.txids.length} tx); unspent: ${r.unspent.btc.toFixed(8)} BTC; beyond the hop limit: ${r.hopLimit.btc.toFixed(8)} BTC`,
    ...r.evidence.slice(0, 20).map((e) => `evidence: ${e.address} — ${e.what}${e.captureId ? ` (capture ${e.captureId})` : ''}`),
  ].join('\n');
}

export function register(program: Command): void {
  const money = commandGroup(program, 'money', 'follow the money: chain sources, clustering, tags, tracing, cash-out reports');

  const tags = money.command('tags').description('attribution tags (GraphSense TagPack YAML)');
  tags
    .command('import <file>')
    .description('import a GraphSense TagPack (validated: required fields, taxonomy categories, confidence levels)')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { agency: string; json?: boolean }, cmd: Command) => {
      const pack = await readTagPack(file);
      await withStore(cmd, async (store) => {
        const r = await saveTagPack(store.db, await agencyOf(store, o.agency), pack);
        emit(o.json ?? false, { title: pack.title, ...r }, () => `${pack.title}: ${r.added} tag(s) added, ${r.known} already held`);
      });
    });
  tags
    .command('export')
    .description('export the agency\'s tags (imported and made from market evidence) as a TagPack')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--title <title>', 'TagPack title', 'DarkPatrol attribution tags')
    .action(async (o: { agency: string; out?: string; title: string }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const list = await loadTags(store.db, await agencyOf(store, o.agency));
        if (list.length === 0) throw new UserError('no tags to export');
        const yaml = exportTagPack({ title: o.title, creator: `DarkPatrol agency ${o.agency.toUpperCase()}`, isPublic: false, tags: list });
        if (o.out) await writeFile(o.out, yaml);
        else process.stdout.write(yaml);
      });
    });

  money
    .command('trace')
    .description('trace value from a vendor\'s bitcoin addresses to the exchanges where it was cashed out')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--esplora <url>', 'Esplora REST base URL (…/api): on-demand lookups around the addresses')
    .option('--rpc <url>', 'Bitcoin Core JSON-RPC URL: ingests the blocks --from..--to first (Core has no address index)')
    .option('--rpc-user <user>', 'rpcuser')
    .option('--rpc-password-env <var>', 'environment variable holding rpcpassword', 'DP_RPC_PASSWORD')
    .option('--from <height>', 'first block to ingest over RPC')
    .option('--to <height>', 'last block to ingest over RPC (default: the tip)')
    .option('--address <address...>', 'start addresses')
    .option('--vendor <id>', 'start from the bitcoin addresses the store ties to this vendor row')
    .option('--tags <file...>', 'extra TagPack files used for this trace only')
    .option('--hops <n>', 'transactions followed from a vendor coin', '6')
    .option('--timeout <ms>', 'deadline per request to the chain source', '15000')
    .option('--evidence-dir <dir>', 'where WARC files go')
    .option('--no-preserve', 'do not keep the fetched chain data as evidence')
    .option('--stix <file>', 'write the cash-out report as a STIX 2.1 bundle')
    .option('--requests <dir>', 'write one draft request per exchange (text) into this folder')
    .option('--case <ref>', 'case reference for the draft requests')
    .option('--json', 'machine-readable output')
    .action(async (o: {
      agency: string; esplora?: string; rpc?: string; rpcUser?: string; rpcPasswordEnv: string; from?: string; to?: string; address?: string[]; vendor?: string;
      tags?: string[]; hops: string; timeout: string; evidenceDir?: string; preserve: boolean; stix?: string; requests?: string; case?: string; json?: boolean;
    }, cmd: Command) => {
      if (!o.esplora === !o.rpc) throw new UserError('give exactly one chain source: --esplora URL or --rpc URL');
      const hops = Number(o.hops);
      if (!Number.isInteger(hops) || hops < 1 || hops > 50) throw new UserError('--hops must be an integer in 1..50');
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new UserError('--timeout must be at least 100 ms');
      const extra: AddressTag[] = [];
      for (const f of o.tags ?? []) extra.push(...(await readTagPack(f)).tags);
      await withStore(cmd, async (store) => {
        const agencyId = await agencyOf(store, o.agency);
        const num = (v: string | undefined, name: string) => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new UserError(`${name} must be a non-negative integer`);
          return n;
        };
        try {
          const { report, preserved } = await runMoneyTrace(store.db, {
            agencyId, esplora: o.esplora, addresses: o.address, vendorId: num(o.vendor, '--vendor'), extraTags: extra, maxHops: hops, timeoutMs,
            rpc: o.rpc ? { url: o.rpc, user: o.rpcUser, password: o.rpcUser ? process.env[o.rpcPasswordEnv] ?? '' : undefined, from: num(o.from, '--from'), to: num(o.to, '--to') } : undefined,
            evidenceDir: o.preserve ? resolveEvidenceDir(o.evidenceDir) : undefined,
          });
          if (o.stix) await writeFile(o.stix, `${JSON.stringify(cashOutStix(report), null, 2)}\n`);
          if (o.requests) {
            await mkdir(o.requests, { recursive: true });
            for (const ex of report.exchanges) {
              await writeFile(join(o.requests, `request-${ex.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.txt`), `${draftExchangeRequest(report, ex, { caseRef: o.case, agency: o.agency.toUpperCase() })}\n`);
            }
          }
          emit(o.json ?? false, { ...report, preserved }, () => `${humanReport(report)}\npreserved: ${preserved.captures} fetch(es) as evidence captures, ${preserved.txs} transaction(s) kept`);
        } catch (err) {
          if (err instanceof ChainSourceError) throw new UserError(`chain source failed (${err.kind}): ${err.message} — nothing was written`);
          if (err instanceof MoneyInputError) throw new UserError(err.message);
          throw err;
        }
      });
    });

  money
    .command('sim-ledger')
    .description('serve a sim world\'s bitcoin ledger on 127.0.0.1 as Bitcoin Core RPC and Esplora (for training and tests)')
    .option('--seed <seed>', 'world seed', '1')
    .option('--scale <preset>', 'tiny | demo | …', 'tiny')
    .option('--port <port>', 'port (0: any free port)', '0')
    .option('--tagpack <file>', 'write the public service tags as a TagPack here')
    .option('--truth <file>', 'write the ground truth (cash-outs, KYC records) as JSON here')
    .action(async (o: { seed: string; scale: string; port: string; tagpack?: string; truth?: string }) => {
      if (!isScalePreset(o.scale)) throw new UserError(`unknown --scale "${o.scale}"`);
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError('--port must be 0..65535');
      const world = generateWorld({ seed: o.seed, scale: o.scale });
      const ledger = generateLedger(world);
      if (o.tagpack) await writeFile(o.tagpack, exportTagPack({ title: `DarkPatrol sim ${o.seed} public service tags`, creator: 'darkpatrol sim', isPublic: true, tags: publicTags(ledger) }));
      if (o.truth) await writeFile(o.truth, `${JSON.stringify({ cashouts: ledger.truth.cashouts, kyc: ledger.truth.kyc, exchanges: ledger.exchanges }, null, 1)}\n`);
      const server = await serveLedger(ledger, { port });
      process.stdout.write(`ledger: ${ledger.blocks.length} blocks, ${ledger.txs.size} transactions\nBitcoin Core RPC: ${server.rpcUrl}\nEsplora: ${server.esploraUrl}\n`);
      await stopSignal();
      await server.close();
    });
}
