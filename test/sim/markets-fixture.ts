// A small hand-built world for the market and serving tests: one market per design, two vendors per market,
// enough listings and feedback to paginate, a seized market and an exit-scammed one.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { onionFromPublicKey } from '../../src/domain/onion.ts';
import { pgpFingerprint } from '../../src/sim/pgp/index.ts';
import type {
  MarketDesign, SimAccount, SimIdentity, WritingStyle, SimListing, SimMarket, SimSale, SimBuyer, World, SubstanceClass,
} from '../../src/sim/world/index.ts';
import { MARKET_DESIGNS, Rng, SIM_EPOCH_UNIX } from '../../src/sim/world/index.ts';

const CURRENCY: Record<MarketDesign, 'BTC' | 'USD' | 'XMR'> = { table: 'BTC', cards: 'USD', list: 'XMR', forum: 'BTC', shop: 'USD' };
const CLASSES: SubstanceClass[] = ['opioid', 'stimulant', 'cannabis', 'psychedelic'];

export function fixtureWorld(seed = 'fixture'): World {
  const rng = new Rng(`fixture/${seed}`);
  const days = 120;
  const markets: SimMarket[] = MARKET_DESIGNS.map((design, i) => ({
    slug: `m${i}${design}`,
    name: `${design[0]!.toUpperCase()}${design.slice(1)} Bazaar`,
    onion: onionFromPublicKey(ed25519.getPublicKey(sha256(utf8ToBytes(`${seed}/onion/${i}`)))),
    design,
    currency: CURRENCY[design],
    openDay: -200,
    closeDay: i === 1 ? 50 : i === 3 ? 80 : undefined,
    fate: i === 1 ? 'seized' : i === 3 ? 'exit_scam' : 'alive',
    commission: 0.04,
    credentials: [0, 1, 2].map((c) => ({ username: `agent${c}_${i}`, password: `pw-${seed}-${i}-${c}`, role: 'buyer' as const })),
    reliability: { slowRate: 0.2, maxDelayMs: 300, errorRate: 0.1, dropRate: 0.05 },
    pageSize: 5,
    serverSeed: rng.hex(16),
  }));
  const identities: SimIdentity[] = [0, 1].map((n) => {
    const keySeed = rng.hex(16);
    const created = SIM_EPOCH_UNIX - 86_400 * 300;
    const fingerprint = pgpFingerprint({ seed: keySeed, created });
    return {
      id: `I000${n}`, realName: `Person ${n}`, country: n ? 'NL' : 'DE', classes: ['opioid'], substances: ['heroin'],
      harm: { score: 0.5, sellsFentanyl: false, sellsNitazenes: false },
      style: { capitalisation: 'normal', greeting: 'Hi', signOff: 'Bye', phrases: [], shippingPhrase: 'ships fast', emojis: [],
        emojiRate: 0, punctuation: '.', typos: [], typoRate: 0, bullet: '-' } as unknown as WritingStyle,
      pgpKeys: [{ fingerprint, keyId: fingerprint.slice(-16), created, userId: `vendor${n} <v${n}@example.org>`, email: `v${n}@example.org`,
        hasEncryptionSubkey: true, seed: keySeed, fromDay: -300 }],
      crypto: [], contacts: [], volume: 1,
    };
  });
  const accounts: SimAccount[] = [];
  const listings: SimListing[] = [];
  const sales: SimSale[] = [];
  const buyers: SimBuyer[] = [0, 1, 2, 3].map((b) => ({ id: `B${b}`, handle: `buyer_${rng.hex(3)}`, country: 'DE', markets: markets.map((m) => m.slug) }));
  let saleNo = 0;
  markets.forEach((m, mi) => {
    identities.forEach((identity, n) => {
      const account: SimAccount = {
        id: `A${mi}${n}`, identityId: identity.id, market: m.slug, channel: null, handle: `Vendor_${n}${rng.hex(2)}`,
        pgpKeys: [{ fingerprint: identity.pgpKeys[0]!.fingerprint, fromDay: -300 }],
        profileText: `Welcome to my shop <b>no scams</b> & fast shipping.\nSecond line.`,
        shownCrypto: [], shownContacts: [], openDay: -150, aliasKind: 'unique', level: 3 + n,
      };
      accounts.push(account);
      for (let k = 0; k < 7; k++) {
        const id = `L${mi}${n}${k}`;
        const listing: SimListing = {
          id, accountId: account.id, market: m.slug, externalId: `${m.design === 'forum' ? '' : 'x'}${mi}${n}${k}${rng.hex(2)}`,
          title: `${k + 1}g Product ${k} & "quality" <${CLASSES[k % 4]}>`, description: `Line one of ${id}.\nLine <two> & more.`,
          substanceClass: CLASSES[k % 4]!, substance: 'heroin', quantity: k + 1, unit: 'g',
          priceHistory: [{ day: -100, usd: 40 + k * 10.5 }, { day: 30, usd: 45 + k * 10.5 }],
          stockHistory: [{ day: -100, stock: 10 }, { day: 60, stock: 0 }],
          shipsFrom: identity.country, shipsTo: ['WW'], openDay: k === 6 ? 40 : -100,
        };
        listings.push(listing);
        for (let s = 0; s < 3; s++) {
          const day = 5 + s * 20 + k;
          sales.push({
            id: `S${String(++saleNo).padStart(5, '0')}`, listingId: id, accountId: account.id, market: m.slug, buyerId: `B${s}`,
            day, at: SIM_EPOCH_UNIX + day * 86_400, units: 1, priceUsd: 40, buyerCountry: 'DE', status: 'finalized',
            feedback: { rating: 5 - s, text: `feedback ${s} for ${id} <ok> & fine`, day: day + 2, hidden: s === 2 && k === 0, duplicated: s === 1 && k === 0 },
          });
        }
      }
    });
  });
  return {
    version: 'fixture-1', seed, scale: { markets: 5, identities: 2, accounts: 10, listings: listings.length, buyers: 4, days, channels: 0, salesPerListingMonth: 1 },
    days, markets, identities, accounts, listings, sales, buyers, channels: [], messages: [], events: [], seized: [], migrations: [],
    timeline: { seizedMarket: markets[1]!.slug, seizureDay: 50, exitMarket: markets[3]!.slug, exitDay: 80, launchMarket: markets[4]!.slug, launchDay: -200 },
  };
}
