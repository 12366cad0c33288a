import { Transaction, crypto as bcrypto } from 'bitcoinjs-lib';
import { btcP2wpkh, dayToUnix, Rng, SALES_HISTORY_DAYS, usdToBtc, type SimAccount, type SimIdentity, type World } from '../world/index.ts';
import { outputScript } from './script.ts';
import type {
  KycRecord, Ledger, LedgerBlock, LedgerExchange, LedgerInput, LedgerOutput, LedgerTx, LedgerTxKind, TrueCashout,
} from './types.ts';

/** Height of the block of sim day 0 (a 2025-like height; one block per sim day). */
export const LEDGER_BASE_HEIGHT = 880_000;
export const LEDGER_VERSION = 'darkpatrol-sim-ledger/1';

const COIN = 100_000_000;
const POOLS = [0.001, 0.01, 0.05, 0.1, 0.5].map((b) => Math.round(b * COIN));
const EXCHANGES: Array<Omit<LedgerExchange, 'hotAddresses'>> = [
  { slug: 'coinvault', name: 'CoinVault', lawEnforcementContact: 'lerequests@coinvault.example' },
  { slug: 'bitharbor', name: 'BitHarbor', lawEnforcementContact: 'compliance@bitharbor.example' },
  { slug: 'northpay', name: 'NorthPay Exchange', lawEnforcementContact: 'le@northpay.example' },
  { slug: 'satsmart', name: 'SatsMart', lawEnforcementContact: 'legal@satsmart.example' },
];

interface Utxo { txid: string; vout: number; address: string; value: number }

export interface LedgerOptions {
  /** Extra background payments per day (for benchmarks at a million transactions). */
  backgroundTxPerDay?: number;
}

const sats = (btc: number) => Math.round(btc * COIN);

/**
 * Builds the ledger of a world: buyers fund wallets at exchanges and pay per-order market deposit addresses;
 * markets sweep deposits to hot wallets and pay vendors on finalisation (refunds go back, an exit scam keeps the
 * escrow, a seizure moves it to the police); vendors consolidate and cash out to their KYC'd exchange deposit
 * addresses directly, through peel chains or through a CoinJoin mixer; exchanges sweep deposits into their hot
 * wallet. Markets showing XMR prices are paid in Monero and stay off this ledger.
 */
export function generateLedger(world: World, options: LedgerOptions = {}): Ledger {
  const rng = new Rng(`${world.seed}/ledger`);
  const b = new Builder(world.seed);
  const owner = b.owner;
  const fresh = (entity: string) => {
    const a = btcP2wpkh(rng.bytes(20));
    owner.set(a, entity);
    return a;
  };
  // Services
  const exchanges: LedgerExchange[] = EXCHANGES.map((e) => {
    b.entity(`exchange:${e.slug}`, 'exchange', e.name);
    return { ...e, hotAddresses: [0, 1, 2].map(() => fresh(`exchange:${e.slug}`)) };
  });
  b.entity('mixer:whirl', 'mixer', 'Whirl CoinJoin coordinator');
  const mixer = { slug: 'whirl', name: 'Whirl CoinJoin coordinator', feeAddress: fresh('mixer:whirl') };
  b.entity('miner', 'miner', 'miners');
  b.entity('police', 'police', 'law enforcement seizure wallet');
  const minerAddr = fresh('miner');
  const policeAddr = fresh('police');
  const btcMarkets = world.markets.filter((m) => m.currency !== 'XMR');
  const marketHot = new Map<string, string[]>();
  for (const m of btcMarkets) {
    b.entity(`market:${m.slug}`, 'market', m.name);
    marketHot.set(m.slug, [fresh(`market:${m.slug}`), fresh(`market:${m.slug}`)]);
  }
  for (const i of world.identities) {
    b.entity(`vendor:${i.id}`, 'vendor', i.id);
    for (const c of i.crypto) if (c.kind !== 'xmr') owner.set(c.address, `vendor:${i.id}`);
  }
  const identities = new Map(world.identities.map((i) => [i.id, i]));
  const accounts = new Map(world.accounts.map((a) => [a.id, a]));
  const marketBySlug = new Map(btcMarkets.map((m) => [m.slug, m]));

  // Where a vendor account is paid: the seized market's recorded withdrawal address (the identity's cash-out
  // address), elsewhere the account's own bitcoin address (a shown one when it shows one).
  const payoutAddress = (acc: SimAccount, identity: SimIdentity): string => {
    const market = marketBySlug.get(acc.market ?? '');
    const cashout = identity.crypto[0]?.address as string;
    if (market?.fate === 'seized') return cashout;
    const shown = acc.shownCrypto.find((a) => owner.get(a) === `vendor:${identity.id}` && a !== cashout);
    if (shown) return shown;
    const own = identity.crypto.filter((c) => c.kind !== 'xmr' && c.address !== cashout);
    if (own.length === 0) return cashout;
    let h = 0;
    for (const ch of acc.id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return (own[h % own.length] as { address: string }).address;
  };

  // Vendor cash-out habits and KYC'd exchange accounts.
  interface Habit { every: number; phase: number; mixes: boolean; peels: boolean; exchanges: string[]; deposit: Map<string, string> }
  const habits = new Map<string, Habit>();
  const kyc: KycRecord[] = [];
  for (const i of world.identities) {
    const r = rng.fork(`habit/${i.id}`);
    const n = r.chance(0.3) ? 2 : 1;
    const ex = new Set<string>();
    while (ex.size < n) ex.add((exchanges[r.int(0, exchanges.length - 1)] as LedgerExchange).slug);
    const deposit = new Map<string, string>();
    for (const e of ex) {
      const addr = fresh(`exchange:${e}`);
      deposit.set(e, addr);
      kyc.push({ exchange: e, depositAddress: addr, identityId: i.id, customerName: i.realName, country: i.country, openedDay: -SALES_HISTORY_DAYS - r.int(10, 400) });
    }
    habits.set(i.id, { every: r.int(7, 21), phase: r.int(0, 20), mixes: r.chance(0.15), peels: r.chance(0.35), exchanges: [...ex], deposit });
  }
  const cashouts: TrueCashout[] = [];
  const background = Array.from({ length: 40 }, (_, k) => {
    const id = `user:U${String(k + 1).padStart(4, '0')}`;
    b.entity(id, 'user', id);
    return id;
  });

  // Sales paid in bitcoin, grouped by the day of payment and of finalisation.
  const salesByDay = new Map<number, typeof world.sales>();
  const settleByDay = new Map<number, Array<{ sale: (typeof world.sales)[number]; deposit: Utxo }>>();
  for (const s of world.sales) {
    if (!marketBySlug.has(s.market)) continue;
    const list = salesByDay.get(s.day) ?? [];
    list.push(s);
    salesByDay.set(s.day, list);
  }
  const exchangeWallet = (slug: string) => `exchange:${slug}`;
  // Addresses vendors show publicly take direct deals (a few a month, more for busy vendors).
  const directAddresses: Array<{ address: string; rate: number }> = [];
  const shownSeen = new Set<string>();
  for (const acc of world.accounts) {
    const identity = identities.get(acc.identityId) as SimIdentity;
    for (const a of acc.shownCrypto) {
      if (shownSeen.has(a) || owner.get(a) !== `vendor:${identity.id}`) continue;
      shownSeen.add(a);
      directAddresses.push({ address: a, rate: Math.min(0.5, 0.05 + 0.02 * identity.volume) });
    }
  }
  const vendorOf = (identityId: string) => `vendor:${identityId}`;
  const firstDay = -SALES_HISTORY_DAYS;
  const lastDay = world.days - 1;
  const seizedMarket = btcMarkets.find((m) => m.fate === 'seized');
  const exitMarket = btcMarkets.find((m) => m.fate === 'exit_scam');

  for (let day = firstDay; day <= lastDay; day++) {
    b.openBlock(day);
    const dr = rng.fork(`day/${day}`);
    // Coinbase: the miner, and on the first block the exchanges' reserves.
    const cbOuts: LedgerOutput[] = [{ address: minerAddr, value: sats(3.125) }];
    if (day === firstDay) for (const e of exchanges) cbOuts.push({ address: e.hotAddresses[0] as string, value: sats(50_000) });
    b.tx('coinbase', [], cbOuts);

    // Buyers withdraw from an exchange (one batch per exchange) and pay: per-order market deposit addresses, and
    // direct deals to the addresses vendors show on their profiles and channels.
    const sales = salesByDay.get(day) ?? [];
    const payments: Array<{ buyerId: string; to: string; price: number; market: string | null; sale?: (typeof sales)[number] }> = [];
    for (const s of sales) payments.push({ buyerId: s.buyerId, to: fresh(`market:${s.market}`), price: sats(usdToBtc(s.priceUsd, day)), market: s.market, sale: s });
    for (const d of directAddresses) {
      if (!dr.chance(d.rate)) continue;
      const buyer = world.buyers[dr.int(0, world.buyers.length - 1)];
      if (buyer) payments.push({ buyerId: buyer.id, to: d.address, price: sats(usdToBtc(dr.int(40, 600), day)), market: null });
    }
    const funding = new Map<string, Array<{ index: number; address: string; value: number }>>();
    payments.forEach((p, index) => {
      const ex = (exchanges[hashIndex(p.buyerId, exchanges.length)] as LedgerExchange).slug;
      const list = funding.get(ex) ?? [];
      list.push({ index, address: fresh(`buyer:${p.buyerId}`), value: p.price + dr.int(5_000, 200_000) });
      funding.set(ex, list);
    });
    const buyerCoins = new Map<number, Utxo>();
    for (const [ex, list] of funding) {
      const e = exchanges.find((x) => x.slug === ex) as LedgerExchange;
      const outs = list.map((f) => ({ address: f.address, value: f.value }));
      const tx = b.spend(exchangeWallet(ex), outs, e.hotAddresses[dr.int(0, 2)] as string, 'exchange-withdrawal');
      list.forEach((f, k) => buyerCoins.set(f.index, { txid: tx.txid, vout: k, address: f.address, value: f.value }));
    }
    const depositsToday = new Map<string, Utxo[]>();
    payments.forEach((p, index) => {
      const coin = buyerCoins.get(index) as Utxo;
      const fee = feeFor(1, 2);
      const tx = b.tx(p.market ? 'buyer-payment' : 'direct-deal', [coin], [{ address: p.to, value: p.price }, { address: fresh(`buyer:${p.buyerId}`), value: coin.value - p.price - fee }]);
      if (!p.market || !p.sale) return;
      const utxo = { txid: tx.txid, vout: 0, address: p.to, value: p.price };
      const list = depositsToday.get(p.market) ?? [];
      list.push(utxo);
      depositsToday.set(p.market, list);
      const settle = day + 2 + dr.int(1, 8);
      const l = settleByDay.get(settle) ?? [];
      l.push({ sale: p.sale, deposit: utxo });
      settleByDay.set(settle, l);
    });
    // Markets sweep the day's deposits into a hot wallet.
    for (const [slug, list] of depositsToday) {
      const hot = marketHot.get(slug) as string[];
      const total = list.reduce((a, u) => a + u.value, 0);
      b.tx('market-sweep', list, [{ address: hot[0] as string, value: total - feeFor(list.length, 1) }]);
    }
    // Finalised orders: vendors are paid (one batch per market), refunds go back to the buyer.
    const payouts = new Map<string, Map<string, number>>();
    for (const { sale: s, deposit } of settleByDay.get(day) ?? []) {
      const market = marketBySlug.get(s.market);
      if (!market || (market.closeDay !== undefined && day > market.closeDay)) continue;
      if (s.status === 'lost_in_exit_scam') continue;
      if (s.status === 'refunded') {
        b.spend(`market:${s.market}`, [{ address: fresh(`buyer:${s.buyerId}`), value: deposit.value - 2_000 }], (marketHot.get(s.market) as string[])[1] as string, 'market-refund');
        continue;
      }
      const acc = accounts.get(s.accountId) as SimAccount;
      const identity = identities.get(acc.identityId) as SimIdentity;
      const to = payoutAddress(acc, identity);
      const m = payouts.get(s.market) ?? new Map<string, number>();
      m.set(to, (m.get(to) ?? 0) + Math.floor(deposit.value * (1 - market.commission)));
      payouts.set(s.market, m);
    }
    for (const [slug, m] of payouts) {
      const hot = marketHot.get(slug) as string[];
      b.spend(`market:${slug}`, [...m].map(([address, value]) => ({ address, value })), hot[dr.int(0, 1)] as string, 'market-payout');
    }
    // A market's end: the exit scammers move the escrow away; the police seize the seized market's wallet.
    if (exitMarket && day === exitMarket.closeDay) b.spend(`market:${exitMarket.slug}`, [], fresh(`market:${exitMarket.slug}`), 'market-exit');
    if (seizedMarket && day === seizedMarket.closeDay) b.spend(`market:${seizedMarket.slug}`, [], policeAddr, 'market-seizure');

    // Vendors cash out.
    for (const i of world.identities) {
      const h = habits.get(i.id) as Habit;
      if ((day - firstDay + h.phase) % h.every !== 0) continue;
      const v = vendorOf(i.id);
      const balance = b.balance(v);
      if (balance < sats(usdToBtc(150, day))) continue;
      const r = rng.fork(`cashout/${i.id}/${day}`);
      const route: TrueCashout['route'] = h.mixes && r.chance(0.6) ? 'mixer' : h.peels && r.chance(0.7) ? 'peel' : 'direct';
      const keep = Math.floor(balance * r.float(0.03, 0.15));
      const spendOut = r.chance(0.25) ? Math.floor(balance * r.float(0.02, 0.08)) : 0;
      const exA = h.exchanges[r.int(0, h.exchanges.length - 1)] as string;
      const record = (tx: LedgerTx, vout: number, exchange: string, rt: TrueCashout['route']) => {
        const o = tx.vout[vout] as LedgerOutput;
        cashouts.push({ identityId: i.id, exchange, txid: tx.txid, vout, depositAddress: o.address, sats: o.value, day, route: rt });
      };
      const inputs = b.takeAll(v);
      const fee = feeFor(inputs.length, 3);
      const cash = balance - keep - spendOut - fee;
      const merchant = spendOut > 0 ? [{ address: fresh(background[r.int(0, background.length - 1)] as string), value: spendOut }] : [];
      if (route === 'direct') {
        const tx = b.tx('vendor-cashout', inputs, [{ address: h.deposit.get(exA) as string, value: cash }, ...merchant, { address: fresh(v), value: keep }]);
        record(tx, 0, exA, 'direct');
      } else if (route === 'peel') {
        const hops = r.int(2, 4);
        let piece = Math.floor(cash / hops);
        let tx = b.tx('vendor-peel', inputs, [{ address: h.deposit.get(exA) as string, value: piece }, ...merchant, { address: fresh(v), value: balance - piece - spendOut - fee }]);
        record(tx, 0, exA, 'peel');
        for (let k = 1; k < hops; k++) {
          const prev = { txid: tx.txid, vout: tx.vout.length - 1, address: (tx.vout.at(-1) as LedgerOutput).address, value: (tx.vout.at(-1) as LedgerOutput).value };
          b.forget(v, prev);
          const ex = h.exchanges[r.int(0, h.exchanges.length - 1)] as string;
          piece = Math.min(piece, prev.value - feeFor(1, 2) - keep);
          if (piece <= 10_000) break;
          tx = b.tx('vendor-peel', [prev], [{ address: h.deposit.get(ex) as string, value: piece }, { address: fresh(v), value: prev.value - piece - feeFor(1, 2) }]);
          record(tx, 0, ex, 'peel');
        }
      } else {
        const premix = fresh(v);
        const t1 = b.tx('vendor-premix', inputs, [{ address: premix, value: cash }, ...merchant, { address: fresh(v), value: keep }]);
        b.forget(v, { txid: t1.txid, vout: 0, address: premix, value: cash });
        const pool = [...POOLS].reverse().find((p) => p * 1.02 <= cash) ?? (POOLS[0] as number);
        if (cash < pool * 1.02) {
          // Too little to mix: it sits at the pre-mix address.
          b.give(v, { txid: t1.txid, vout: 0, address: premix, value: cash });
          continue;
        }
        // CoinJoin: the vendor and 4–8 background users each put in one coin and get equal outputs back.
        const parts: Array<{ entity: string; coin: Utxo }> = [{ entity: v, coin: { txid: t1.txid, vout: 0, address: premix, value: cash } }];
        const others = r.int(4, 8);
        for (let k = 0; k < others; k++) {
          const u = background[r.int(0, background.length - 1)] as string;
          const ex = exchanges[r.int(0, exchanges.length - 1)] as LedgerExchange;
          const addr = fresh(u);
          const amount = pool * r.int(1, 4) + r.int(50_000, 500_000);
          const w = b.spend(exchangeWallet(ex.slug), [{ address: addr, value: amount }], ex.hotAddresses[0] as string, 'exchange-withdrawal');
          const coin = { txid: w.txid, vout: 0, address: addr, value: amount };
          b.forget(u, coin);
          parts.push({ entity: u, coin });
        }
        const outs: LedgerOutput[] = [];
        const mine: number[] = [];
        let coordinator = 0;
        for (const p of parts) {
          const n = Math.min(20, Math.floor(p.coin.value / (pool * 1.02)));
          const feeShare = Math.floor(n * pool * 0.003) + 1_000;
          coordinator += feeShare;
          for (let k = 0; k < n; k++) {
            if (p.entity === v) mine.push(outs.length);
            outs.push({ address: fresh(p.entity), value: pool });
          }
          const change = p.coin.value - n * pool - feeShare - 600;
          if (change > 1_000) outs.push({ address: fresh(p.entity), value: change });
        }
        outs.push({ address: mixer.feeAddress, value: coordinator });
        const order = shuffleIndex(r, outs.length);
        const shuffled = order.map((k) => outs[k] as LedgerOutput);
        const cj = b.tx('coinjoin', parts.map((p) => p.coin), shuffled);
        // The vendor's equal outputs go on to the exchange together.
        const post = order.flatMap((k, pos) => (mine.includes(k) ? [{ txid: cj.txid, vout: pos, address: (outs[k] as LedgerOutput).address, value: pool }] : []));
        for (const p of post) b.forget(v, p);
        const total = post.reduce((a, p) => a + p.value, 0) - feeFor(post.length, 1);
        const tx = b.tx('vendor-postmix', post, [{ address: h.deposit.get(exA) as string, value: total }]);
        record(tx, 0, exA, 'mixer');
      }
    }
    // Background activity (benchmarks): users pay each other from exchange withdrawals.
    for (let k = 0; k < (options.backgroundTxPerDay ?? 0); k++) {
      const ex = exchanges[k % exchanges.length] as LedgerExchange;
      const u = background[dr.int(0, background.length - 1)] as string;
      const w = b.spend(exchangeWallet(ex.slug), [{ address: fresh(u), value: dr.int(100_000, 5_000_000) }], ex.hotAddresses[1] as string, 'exchange-withdrawal');
      b.forget(u, { txid: w.txid, vout: 0, address: (w.vout[0] as LedgerOutput).address, value: (w.vout[0] as LedgerOutput).value });
    }
    // Exchanges sweep the day's customer deposits into the hot wallet (with one hot coin, as many do).
    for (const e of exchanges) {
      const deposits = b.takeAll(exchangeWallet(e.slug)).filter((u) => {
        if (e.hotAddresses.includes(u.address)) {
          b.give(exchangeWallet(e.slug), u);
          return false;
        }
        return true;
      });
      if (deposits.length === 0) continue;
      const hotCoin = b.takeOne(exchangeWallet(e.slug), (u) => e.hotAddresses.includes(u.address));
      const ins = hotCoin ? [...deposits, hotCoin] : deposits;
      const total = ins.reduce((a, u) => a + u.value, 0);
      b.tx('exchange-sweep', ins, [{ address: e.hotAddresses[0] as string, value: total - feeFor(ins.length, 1) }]);
    }
    b.closeBlock(dayToUnix(day) + 43_200);
  }
  return {
    seed: world.seed, blocks: b.blocks, txs: b.txs, spends: b.spends, addressTxs: b.addressTxs, exchanges, mixer, marketHot,
    truth: { owner, entities: b.entities, cashouts, kyc },
  };
}

function feeFor(inputs: number, outputs: number): number {
  return 2 * (11 + 68 * inputs + 31 * outputs);
}

function hashIndex(s: string, n: number): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % n;
}

function shuffleIndex(rng: Rng, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

/** Blocks, transactions and every entity's coins. */
class Builder {
  readonly blocks: LedgerBlock[] = [];
  readonly txs = new Map<string, LedgerTx>();
  readonly spends = new Map<string, { txid: string; vin: number }>();
  readonly addressTxs = new Map<string, string[]>();
  readonly owner = new Map<string, string>();
  readonly entities: Ledger['truth']['entities'] = [];
  private readonly wallets = new Map<string, Utxo[]>();
  private current: { day: number; txs: LedgerTx[] } | null = null;
  private readonly seed: string;

  constructor(seed: string) {
    this.seed = seed;
  }

  entity(id: string, kind: Ledger['truth']['entities'][number]['kind'], name: string): void {
    this.entities.push({ id, kind, name });
  }

  openBlock(day: number): void {
    this.current = { day, txs: [] };
  }

  closeBlock(time: number): void {
    const cur = this.current as { day: number; txs: LedgerTx[] };
    const height = LEDGER_BASE_HEIGHT + cur.day;
    const prev = this.blocks.at(-1)?.hash ?? null;
    const merkle = merkleRoot(cur.txs.map((t) => t.txid));
    const header = Buffer.alloc(80);
    header.writeUInt32LE(0x20000000, 0);
    Buffer.from(prev ?? '00'.repeat(32), 'hex').reverse().copy(header, 4);
    Buffer.from(merkle, 'hex').reverse().copy(header, 36);
    header.writeUInt32LE(time, 68);
    header.writeUInt32LE(0x17034219, 72);
    header.writeUInt32LE(height, 76);
    const hash = Buffer.from(bcrypto.hash256(header)).reverse().toString('hex');
    this.blocks.push({
      height, hash, previousHash: prev, merkleRoot: merkle, time, day: cur.day, txids: cur.txs.map((t) => t.txid),
      size: 80 + cur.txs.reduce((a, t) => a + t.size, 0),
    });
    this.current = null;
  }

  balance(entity: string): number {
    return (this.wallets.get(entity) ?? []).reduce((a, u) => a + u.value, 0);
  }

  takeAll(entity: string): Utxo[] {
    const all = this.wallets.get(entity) ?? [];
    this.wallets.set(entity, []);
    return all;
  }

  takeOne(entity: string, pick: (u: Utxo) => boolean): Utxo | undefined {
    const all = this.wallets.get(entity) ?? [];
    const i = all.findIndex(pick);
    if (i < 0) return undefined;
    return all.splice(i, 1)[0];
  }

  give(entity: string, u: Utxo): void {
    const list = this.wallets.get(entity) ?? [];
    list.push(u);
    this.wallets.set(entity, list);
  }

  /** Removes a coin the caller spends itself in the next transaction. */
  forget(entity: string, u: Utxo): void {
    const list = this.wallets.get(entity) ?? [];
    const i = list.findIndex((x) => x.txid === u.txid && x.vout === u.vout);
    if (i >= 0) list.splice(i, 1);
  }

  /** Pays `outs` from an entity's coins (largest first), change to `changeAddress`; with no outs, sweeps everything. */
  spend(entity: string, outs: LedgerOutput[], changeAddress: string, kind: LedgerTxKind): LedgerTx {
    const need = outs.reduce((a, o) => a + o.value, 0);
    const coins = (this.wallets.get(entity) ?? []).sort((x, y) => y.value - x.value);
    const picked: Utxo[] = [];
    let have = 0;
    while (coins.length > 0 && (outs.length === 0 || have < need + feeFor(picked.length + 1, outs.length + 1))) {
      const c = coins.shift() as Utxo;
      picked.push(c);
      have += c.value;
    }
    const fee = feeFor(picked.length, outs.length + 1);
    if (have < need + fee) throw new Error(`ledger: ${entity} cannot pay ${need} sats (has ${have})`);
    const change = have - need - fee;
    return this.tx(kind, picked, change > 546 ? [...outs, { address: changeAddress, value: change }] : outs);
  }

  tx(kind: LedgerTxKind, inputs: Utxo[], outs: LedgerOutput[]): LedgerTx {
    const cur = this.current as { day: number; txs: LedgerTx[] };
    const t = new Transaction();
    t.version = 2;
    const height = LEDGER_BASE_HEIGHT + cur.day;
    if (inputs.length === 0) {
      const script = Buffer.alloc(4 + 8);
      script.writeUInt8(3, 0);
      script.writeUIntLE(height, 1, 3);
      script.write(this.seed.slice(0, 8).padEnd(8, '.'), 4, 'latin1');
      t.addInput(Buffer.alloc(32), 0xffffffff, 0xffffffff, script);
    } else {
      for (const u of inputs) t.addInput(Buffer.from(u.txid, 'hex').reverse(), u.vout, 0xfffffffd);
    }
    for (const o of outs) {
      if (!(Number.isSafeInteger(o.value) && o.value > 0)) throw new Error(`ledger: bad output value ${o.value} in ${kind}`);
      t.addOutput(Buffer.from(outputScript(o.address).hex, 'hex'), BigInt(o.value));
    }
    const hex = t.toHex();
    const txid = t.getId();
    const vin: LedgerInput[] = inputs.map((u) => ({ txid: u.txid, vout: u.vout }));
    const tx: LedgerTx = { txid, hex, size: hex.length / 2, vsize: t.virtualSize(), weight: t.weight(), vin, vout: outs, height, index: cur.txs.length, kind };
    cur.txs.push(tx);
    this.txs.set(txid, tx);
    const touch = (a: string) => {
      const l = this.addressTxs.get(a);
      if (!l) this.addressTxs.set(a, [txid]);
      else if (l.at(-1) !== txid) l.push(txid);
    };
    inputs.forEach((u, i) => {
      this.spends.set(`${u.txid}:${u.vout}`, { txid, vin: i });
      touch(u.address);
    });
    outs.forEach((o, n) => {
      touch(o.address);
      const who = this.owner.get(o.address);
      if (who) this.give(who, { txid, vout: n, address: o.address, value: o.value });
    });
    return tx;
  }
}

function merkleRoot(txids: string[]): string {
  let level: Buffer[] = txids.map((id) => Buffer.from(id, 'hex').reverse());
  if (level.length === 0) return '00'.repeat(32);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i] as Buffer;
      const b = level[i + 1] ?? a;
      next.push(Buffer.from(bcrypto.hash256(Buffer.concat([a, b]))));
    }
    level = next;
  }
  return Buffer.from(level[0] as Buffer).reverse().toString('hex');
}
