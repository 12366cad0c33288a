// Rotating onions and the signed mirror list. Mirror 0 is the market's own onion (the world's); every
// `rotateEveryDays` sim days the oldest live onion dies and the next one appears, and the market publishes a new
// list of the live onions, cleartext-signed with its PGP key (openpgp.js, deterministic: no salt notation).
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { createCleartextMessage, readPrivateKey, sign } from 'openpgp';
import { onionFromPublicKey } from '../../../domain/onion.ts';
import type { SimDay, SimMarket } from '../../world/index.ts';
import { dayToIsoDate, dayToUnix } from '../../world/index.ts';
import { h, page } from '../html.ts';
import { marketSigningKey } from './keys.ts';
import type { MirrorOptions } from './options.ts';

/** A v3 onion for the market's n-th mirror (n >= 1) or clone, from its seed. */
export function derivedOnion(market: SimMarket, kind: 'mirror' | 'clone', n: number): string {
  return onionFromPublicKey(ed25519.getPublicKey(sha256(utf8ToBytes(`darkpatrol-sim/${kind}/${market.serverSeed}/${n}`))));
}

export class MirrorSchedule {
  readonly options: MirrorOptions;
  readonly #market: SimMarket;
  readonly #lists = new Map<number, Promise<string>>();

  constructor(market: SimMarket, options: MirrorOptions) {
    this.#market = market;
    this.options = options;
  }

  /** The rotation epoch of a day: days before 0 share epoch 0. */
  epoch(day: SimDay): number {
    return Math.max(0, Math.floor(day / this.options.rotateEveryDays));
  }

  onion(n: number): string {
    return n === 0 ? this.#market.onion : derivedOnion(this.#market, 'mirror', n);
  }

  /** The onions alive on a day, oldest first. */
  live(day: SimDay): string[] {
    const e = this.epoch(day);
    return Array.from({ length: this.options.live }, (_, i) => this.onion(e + i));
  }

  /** Every onion the market has had up to `lastDay` (the proxy knows them all; dead ones are unreachable). */
  allUntil(lastDay: SimDay): string[] {
    const last = this.epoch(lastDay) + this.options.live - 1;
    return Array.from({ length: last + 1 }, (_, n) => this.onion(n));
  }

  /** The first day of an epoch (the date the list was signed). */
  #epochDay(e: number): SimDay {
    return Math.max(this.#market.openDay, e * this.options.rotateEveryDays);
  }

  /** The cleartext-signed list of the day's live onions (the same bytes for every day of an epoch). */
  signedList(day: SimDay): Promise<string> {
    const e = this.epoch(day);
    let list = this.#lists.get(e);
    if (!list) {
      list = this.#sign(e);
      this.#lists.set(e, list);
    }
    return list;
  }

  async #sign(e: number): Promise<string> {
    const m = this.#market;
    const signedOn = this.#epochDay(e);
    const onions = this.live(signedOn);
    const text = [
      `${m.name} - official mirrors`,
      `Date: ${dayToIsoDate(signedOn)}`,
      '',
      `These are the only official addresses of ${m.name}. Bookmark them and verify this message with our PGP key`,
      'before you log in. Any address that is not in this list is a phishing site.',
      '',
      ...onions.map((o) => `http://${o}`),
      '',
      `Next list: ${dayToIsoDate(signedOn + this.options.rotateEveryDays)}`,
    ].join('\n');
    const key = await readPrivateKey({ armoredKey: marketSigningKey(m).secretArmored });
    return sign({
      message: await createCleartextMessage({ text }),
      signingKeys: key,
      date: new Date(dayToUnix(signedOn) * 1000),
      config: { nonDeterministicSignaturesViaNotation: false },
    });
  }
}

/** The public mirrors page: the signed list and the market's key (which a careful user pinned long ago). */
export function mirrorsPage(market: SimMarket, signedList: string, publicKey: string): string {
  return page({
    title: `${market.name} - Mirrors`,
    body: `<div class="mirrors">
<h1>${h(market.name)} mirrors</h1>
<p>Always verify the signature of this list with our PGP key. Phishing sites copy this page.</p>
<pre class="signed-mirrors">
${h(signedList)}</pre>
<h2>Our PGP key</h2>
<pre class="market-key">
${h(publicKey)}</pre>
</div>`,
  });
}
