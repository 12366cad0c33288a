import { pgpFingerprint } from '../pgp/index.ts';
import type { GenContext, IdentityPlan } from './context.ts';
import { CumulativePicker, pad } from './context.ts';
import { cryptoAddress, randomBtcKind } from './crypto.ts';
import {
  EU_COUNTRIES, VENDOR_COUNTRIES, VENDOR_COUNTRY_WEIGHTS, anonEmail, clearEmail, realName, vendorHandle,
} from './names.ts';
import { dayToUnix } from './rates.ts';
import type { Rng } from './rng.ts';
import { randomStyle } from './style.ts';
import { CLASS_WEIGHTS, SUBSTANCES, type SubstanceSpec } from './substances.ts';
import type { MessengerPlatform, SimContactHandle, SimIdentity, SimPgpKey, SubstanceClass } from './types.ts';
import { SUBSTANCE_CLASSES } from './types.ts';

const JABBER_HOSTS = ['jabber.calyxinstitute.org', 'xmpp.jp', 'jabber.ccc.de', '404.city', 'yax.im', 'xmpp.is'];

/** A contact handle in the format each messenger uses. */
export function contactHandle(rng: Rng, platform: MessengerPlatform, base: string): SimContactHandle {
  const b = base.toLowerCase().replace(/[^a-z0-9]/g, '');
  switch (platform) {
    case 'telegram': return { platform, handle: `@${b.slice(0, 20)}${rng.chance(0.5) ? '_' + rng.pick(['shop', 'official', 'plug', 'bot', 'uk', 'eu']) : rng.int(1, 99)}` };
    case 'wickr': return { platform, handle: `${b.slice(0, 14)}${rng.int(1, 999)}` };
    case 'session': return { platform, handle: `05${rng.hex(32)}` };
    case 'signal': return { platform, handle: `${b.slice(0, 12)}.${pad(rng.int(1, 99), 2)}` };
    case 'threema': {
      const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
      let id = '';
      for (let i = 0; i < 8; i++) id += chars[rng.int(0, chars.length - 1)];
      return { platform, handle: id };
    }
    case 'jabber': return { platform, handle: `${b.slice(0, 14)}@${rng.pick(JABBER_HOSTS)}` };
  }
}

export function randomContacts(rng: Rng, base: string, n: number): SimContactHandle[] {
  const platforms = rng.sample(['telegram', 'wickr', 'session', 'signal', 'threema', 'jabber'] as const, n);
  return platforms.map((pl) => contactHandle(rng, pl, base));
}

/** A PGP key record (the armored block is built lazily from `seed`). */
export function makeKey(rng: Rng, identity: SimIdentity, handle: string, createdDay: number, fromDay: number): SimPgpKey {
  const seed = rng.hex(16);
  const created = dayToUnix(createdDay) + rng.int(0, 86_399);
  let email: string | undefined;
  const e = rng.next();
  if (e < 0.04) email = clearEmail(rng, identity.realName);
  else if (e < 0.5) email = anonEmail(rng, handle);
  const userId = email ? `${handle} <${email}>` : handle;
  const fingerprint = pgpFingerprint({ seed, created });
  return { fingerprint, keyId: fingerprint.slice(-16), created, userId, ...(email ? { email } : {}),
    hasEncryptionSubkey: rng.chance(0.85), seed, fromDay };
}

function pickClasses(rng: Rng): SubstanceClass[] {
  const n = rng.weighted([1, 2, 3], [55, 35, 10]);
  const out: SubstanceClass[] = [];
  while (out.length < n) {
    const c = rng.weighted(SUBSTANCE_CLASSES, SUBSTANCE_CLASSES.map((k) => CLASS_WEIGHTS[k]));
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

function pickSpecs(rng: Rng, classes: SubstanceClass[]): SubstanceSpec[] {
  const out: SubstanceSpec[] = [];
  for (const c of classes) {
    const pool = SUBSTANCES.filter((s) => s.class === c);
    const k = Math.min(pool.length, rng.int(1, 3));
    while (out.filter((s) => s.class === c).length < k) {
      const s = rng.weighted(pool, pool.map((x) => x.weight));
      if (!out.includes(s)) out.push(s);
    }
  }
  return out;
}

/**
 * The real people. Each gets a product profile, a writing style, a heavy-tailed activity level, a main PGP key
 * (a few rotate to a second key mid-run) and a hidden cash-out address.
 */
export function makeIdentities(ctx: GenContext): void {
  const { p, days } = ctx;
  const rotationCount = Math.max(1, Math.floor(p.identities / 60));
  const rotating = new Set<number>();
  const rr = ctx.rng.fork('rotation');
  while (rotating.size < rotationCount) rotating.add(rr.int(0, p.identities - 1));
  for (let i = 0; i < p.identities; i++) {
    const rng = ctx.rng.fork(`identity/${i}`);
    const classes = pickClasses(rng);
    const specs = pickSpecs(rng, classes);
    const country = rng.weighted(VENDOR_COUNTRIES, VENDOR_COUNTRY_WEIGHTS);
    const maxHarm = Math.max(...specs.map((s) => s.harm));
    const meanHarm = specs.reduce((a, s) => a + s.harm, 0) / specs.length;
    const identity: SimIdentity = {
      id: `I${pad(i + 1, 5)}`,
      realName: realName(rng),
      country,
      classes,
      substances: [...new Set(specs.map((s) => s.substance))],
      harm: {
        score: Math.round((0.7 * maxHarm + 0.3 * meanHarm) * 1000) / 1000,
        sellsFentanyl: specs.some((s) => /fentan/.test(s.substance)),
        sellsNitazenes: specs.some((s) => /nitazene/.test(s.substance)),
      },
      style: randomStyle(rng),
      pgpKeys: [],
      crypto: [],
      contacts: [],
      volume: Math.round(Math.min(60, (1 - rng.next()) ** (-1 / 1.4)) * 1000) / 1000,
    };
    const baseHandle = vendorHandle(rng);
    const mainCreated = -rng.int(30, 900);
    const k1 = makeKey(rng, identity, baseHandle, mainCreated, mainCreated);
    identity.pgpKeys.push(k1);
    const mainKeys = [0];
    if (rotating.has(i)) {
      const day = Math.floor(days * 0.3) + rng.int(0, Math.floor(days * 0.1));
      k1.toDay = day - 1;
      identity.pgpKeys.push(makeKey(rng, identity, baseHandle, day, day));
      mainKeys.push(1);
    }
    identity.contacts = randomContacts(rng, baseHandle, rng.weighted([0, 1, 2, 3], [20, 40, 30, 10]));
    const cashout = cryptoAddress(rng, randomBtcKind(rng));
    identity.crypto.push(cashout);
    const policy = rng.next();
    const eu = EU_COUNTRIES.includes(country);
    const shipsTo = country === 'US' ? (policy < 0.8 ? ['US'] : ['WW'])
      : policy < 0.35 ? [country] : policy < 0.6 && eu ? [...EU_COUNTRIES] : ['WW'];
    ctx.plans.push({ identity, rng, baseHandle, specs, priceLevel: rng.float(0.8, 1.25), shipsTo, mainKeys, cashout,
      accounts: [] });
  }
}

/** Identities weighted by activity: big vendors have more aliases and more listings. */
export function volumePicker(ctx: GenContext): CumulativePicker<IdentityPlan> {
  return new CumulativePicker(ctx.plans, ctx.plans.map((pl) => Math.sqrt(pl.identity.volume)));
}
