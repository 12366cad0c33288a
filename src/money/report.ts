import type { FxTable } from '../domain/money.ts';
import type { Arrival, TraceResult } from './trace.ts';

export interface Valued {
  sats: number;
  btc: number;
  /** At the date of the transaction; null when the rate table has no rate that early. */
  usd: number | null;
  eur: number | null;
}

export interface DepositLine extends Valued {
  address: string;
  /** UTC dates of the first and last arrival. */
  firstDate: string | null;
  lastDate: string | null;
  transfers: Array<Valued & { txid: string; date: string | null; hops: number; path: string[] }>;
}

export interface ServiceLine extends Valued {
  label: string;
  category: string;
  /** How the service is known: the tagged address, the tag's source, address or cluster match. */
  taggedAddress: string;
  tagSource: string;
  via: 'address' | 'cluster';
  deposits: DepositLine[];
}

/** Where the addresses come from in the market evidence (a sighting, a seized database row, a capture). */
export interface AddressEvidence {
  address: string;
  what: string;
  captureId?: number | null;
  url?: string | null;
}

export interface CashOutReport {
  subject: string;
  generatedAt: string;
  rule: string;
  maxHops: number;
  startAddresses: string[];
  /** The start addresses and the addresses common-input clustering added. */
  clusterAddresses: string[];
  evidence: AddressEvidence[];
  received: Valued;
  exchanges: ServiceLine[];
  otherServices: ServiceLine[];
  mixed: Valued & { txids: string[] };
  unspent: Valued;
  hopLimit: Valued;
}

function value(fx: FxTable, sats: number, date: string | null): Valued {
  const btc = Math.round(sats) / 1e8;
  if (!date) return { sats: Math.round(sats), btc, usd: null, eur: null };
  const usd = fx.convert({ amount: btc, currency: 'BTC' }, 'USD', date)?.amount ?? null;
  const eur = fx.convert({ amount: btc, currency: 'BTC' }, 'EUR', date)?.amount ?? null;
  return { sats: Math.round(sats), btc, usd: usd === null ? null : Math.round(usd * 100) / 100, eur: eur === null ? null : Math.round(eur * 100) / 100 };
}

function sum(items: Valued[]): Valued {
  const add = (k: 'usd' | 'eur') => (items.some((i) => i[k] === null) ? null : Math.round(items.reduce((a, i) => a + (i[k] ?? 0), 0) * 100) / 100);
  const sats = items.reduce((a, i) => a + i.sats, 0);
  return { sats, btc: sats / 1e8, usd: add('usd'), eur: add('eur') };
}

const dateOf = (time: number | null) => (time === null ? null : new Date(time * 1000).toISOString().slice(0, 10));

function lines(fx: FxTable, arrivals: Arrival[]): ServiceLine[] {
  const byService = new Map<string, Arrival[]>();
  for (const a of arrivals) {
    const k = `${a.service.category}|${a.service.label}`;
    (byService.get(k) ?? byService.set(k, []).get(k))?.push(a);
  }
  return [...byService.values()].map((list) => {
    const first = list[0] as Arrival;
    const byDeposit = new Map<string, Arrival[]>();
    for (const a of list) (byDeposit.get(a.address) ?? byDeposit.set(a.address, []).get(a.address))?.push(a);
    const deposits = [...byDeposit].map(([address, as]): DepositLine => {
      const transfers = as.map((a) => ({ ...value(fx, a.sats, dateOf(a.time)), txid: a.txid, date: dateOf(a.time), hops: a.hops, path: a.path }));
      const dates = transfers.map((t) => t.date).filter((d): d is string => d !== null).sort();
      return { address, ...sum(transfers), firstDate: dates[0] ?? null, lastDate: dates.at(-1) ?? null, transfers };
    }).sort((a, b) => b.sats - a.sats);
    return {
      label: first.service.label, category: first.service.category, taggedAddress: first.service.taggedAddress, tagSource: first.service.tagSource,
      via: first.service.via, ...sum(deposits), deposits,
    };
  }).sort((a, b) => b.sats - a.sats);
}

/** Per identity: the exchanges where the traced value arrived, with deposit addresses, amounts, dates and paths. */
export function cashOutReport(trace: TraceResult, fx: FxTable, opts: { subject: string; startAddresses: string[]; maxHops: number; evidence: AddressEvidence[]; now?: Date }): CashOutReport {
  const all = lines(fx, trace.arrivals);
  const mixedValues = trace.mixed.map((m) => value(fx, m.sats, dateOf(m.time)));
  return {
    subject: opts.subject,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    rule: 'haircut (proportional): each transaction passes its traced input value to every output in proportion to the output value',
    maxHops: opts.maxHops,
    startAddresses: opts.startAddresses,
    clusterAddresses: trace.sources,
    evidence: opts.evidence,
    received: { sats: trace.receivedSats, btc: trace.receivedSats / 1e8, usd: null, eur: null },
    exchanges: all.filter((l) => l.category === 'exchange'),
    otherServices: all.filter((l) => l.category !== 'exchange'),
    mixed: { ...sum(mixedValues), txids: [...new Set(trace.mixed.map((m) => m.txid))] },
    unspent: { sats: Math.round(trace.unspentSats), btc: Math.round(trace.unspentSats) / 1e8, usd: null, eur: null },
    hopLimit: { sats: Math.round(trace.hopLimitSats), btc: Math.round(trace.hopLimitSats) / 1e8, usd: null, eur: null },
  };
}

const money = (v: Valued) => `${v.btc.toFixed(8)} BTC${v.usd === null ? '' : ` (USD ${v.usd.toFixed(2)}${v.eur === null ? '' : `, EUR ${v.eur.toFixed(2)}`})`}`;

/**
 * A draft request to one exchange (preservation and production of customer records) — for the case officer to
 * complete with the legal basis and send through the financial partner channel. It is never sent by DarkPatrol.
 */
export function draftExchangeRequest(report: CashOutReport, exchange: ServiceLine, opts: { caseRef?: string; agency?: string } = {}): string {
  const rows = exchange.deposits.flatMap((d) => d.transfers.map((t) => `  - ${t.date ?? 'unconfirmed'}  ${t.txid}  → ${d.address}  ${money(t)}`));
  return [
    `DRAFT — not sent. To be completed and approved by the case officer.`,
    ``,
    `To: ${exchange.label} — law enforcement / compliance desk`,
    `From: ${opts.agency ?? '[agency]'}    Case: ${opts.caseRef ?? '[case reference]'}    Date: ${report.generatedAt.slice(0, 10)}`,
    `Subject: Request for preservation and production of customer records`,
    ``,
    `Legal basis: [to be completed — production order / MLA reference]`,
    ``,
    `We ask you to preserve and produce the records of the customer account(s) credited through the deposit`,
    `address(es) below: identity (KYC) documents, account opening data, login IP addresses and devices, linked bank`,
    `accounts and cards, fiat withdrawals, and every crypto withdrawal address, for the period from the first deposit`,
    `listed below to today.`,
    ``,
    `Deposit addresses (${exchange.deposits.length}), total ${money(exchange)}:`,
    ...exchange.deposits.map((d) => `  - ${d.address}: ${money(d)}, ${d.firstDate ?? '?'} to ${d.lastDate ?? '?'}`),
    ``,
    `Transfers (date, transaction id, deposit address, amount traced):`,
    ...rows,
    ``,
    `How the deposits were identified: blockchain analysis (${report.rule}; at most ${report.maxHops} hops; common-input`,
    `clustering with CoinJoin detection) from ${report.startAddresses.length} address(es) tied to the subject by market evidence.`,
    `Your deposit addresses were attributed to ${exchange.label} by ${exchange.via === 'address' ? 'a tag on the address' : `clustering with ${exchange.taggedAddress}`} (source: ${exchange.tagSource}).`,
    `Please treat this request as confidential and do not inform the customer.`,
  ].join('\n');
}
