import type { Rng } from './rng.ts';

// Word lists for fictional names. None of the market names is a real market's.
export const MARKET_NAMES = [
  'Nightjar', 'Cobalt Bazaar', 'Mossgate', 'Lanternfish', 'Ironwood', 'Saltmarsh', 'Kestrel', 'Umbra', 'Tidewater',
  'Quarry', 'Hollowpine', 'Basalt', 'Vesper', 'Marrow', 'Fathom', 'Cinder', 'Wraith', 'Juniper', 'Driftglass', 'Oriole',
];

const ADJ = ['frosty', 'green', 'dutch', 'royal', 'silent', 'lucky', 'happy', 'dark', 'golden', 'swift', 'pure', 'alpha',
  'nordic', 'crystal', 'magic', 'wise', 'stealth', 'honest', 'premium', 'cosmic', 'urban', 'lazy', 'wild', 'mellow',
  'electric', 'old', 'big', 'little', 'north', 'sunny', 'blue', 'red', 'black', 'white', 'candy', 'velvet', 'iron',
  'smooth', 'prime', 'top', 'euro', 'uk', 'aussie', 'canna', 'pharma', 'chemical', 'organic', 'kind'];
const NOUN = ['pharma', 'roots', 'express', 'king', 'doctor', 'lab', 'store', 'shop', 'garden', 'plug', 'connect', 'man',
  'chemist', 'farmer', 'tiger', 'wolf', 'owl', 'bear', 'fox', 'panda', 'ghost', 'monk', 'pirate', 'wizard', 'candy',
  'dragon', 'factory', 'supply', 'meds', 'dealer', 'bros', 'family', 'crew', 'club', 'house', 'direct', 'depot', 'cartel',
  'kitchen', 'works', 'brothers', 'bunny', 'rabbit', 'eagle', 'shark', 'cat', 'wave', 'cloud', 'star', 'moon'];

export const FIRST_NAMES = ['James', 'Maria', 'Lukas', 'Sophie', 'Daan', 'Emma', 'Oliver', 'Chloe', 'Mateo', 'Lena',
  'Noah', 'Julia', 'Jakub', 'Anna', 'Liam', 'Mila', 'Thomas', 'Sara', 'Hugo', 'Eva', 'Ryan', 'Olivia', 'Kevin', 'Laura',
  'Mark', 'Nina', 'Pieter', 'Ines', 'Tom', 'Zoe', 'Marco', 'Elena', 'Jack', 'Amy', 'Felix', 'Hanna', 'Sam', 'Ruby'];
export const LAST_NAMES = ['Smith', 'de Vries', 'Müller', 'Jansen', 'Brown', 'Kowalski', 'Garcia', 'Rossi', 'Martin',
  'Peeters', 'Wilson', 'Schmidt', 'Bakker', 'Novak', 'Dubois', 'Taylor', 'Fischer', 'Visser', 'Lopez', 'Nowak',
  'Johnson', 'Weber', 'Meijer', 'Fernandez', 'Moreau', 'Clarke', 'Wagner', 'Mulder', 'Andersson', 'Horvath'];

/** Vendor country distribution (dark-web vendor origin studies: US, DE, NL, UK dominate). */
export const VENDOR_COUNTRIES = ['US', 'DE', 'NL', 'GB', 'CA', 'AU', 'FR', 'ES', 'PL', 'BE', 'IT', 'SE', 'CZ'];
export const VENDOR_COUNTRY_WEIGHTS = [30, 12, 12, 12, 6, 5, 5, 4, 4, 3, 3, 2, 2];
/** Buyer country distribution. */
export const BUYER_COUNTRIES = ['US', 'GB', 'DE', 'AU', 'CA', 'NL', 'FR', 'ES', 'IT', 'SE', 'PL', 'BE', 'AT', 'CH', 'DK',
  'FI', 'NO', 'IE', 'PT', 'CZ', 'NZ'];
export const BUYER_COUNTRY_WEIGHTS = [30, 10, 10, 7, 6, 5, 5, 3, 3, 2, 2, 2, 2, 2, 1.5, 1, 1, 1.5, 1, 1, 1];
export const EU_COUNTRIES = ['DE', 'NL', 'FR', 'ES', 'PL', 'BE', 'IT', 'SE', 'CZ', 'AT', 'DK', 'FI', 'IE', 'PT'];

const EMAIL_HOSTS = ['protonmail.com', 'cock.li', 'tutanota.com', 'onionmail.org', 'dnmx.org', 'airmail.cc', 'secmail.pro'];
const CLEAR_EMAIL_HOSTS = ['gmail.com', 'hotmail.com', 'outlook.com', 'gmx.de', 'yahoo.co.uk', 'live.nl'];

function cap(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** A vendor handle in one of the styles vendors use (CamelCase, snake_case, leetish, with numbers). */
export function vendorHandle(rng: Rng): string {
  const a = rng.pick(ADJ);
  const n = rng.pick(NOUN);
  const num = rng.chance(0.35) ? String(rng.pick([420, 24, 7, 88, 1, 99, 69, 13, 710, 2, 3, 365, 111, 777])) : '';
  switch (rng.int(0, 5)) {
    case 0: return `${cap(a)}${cap(n)}${num}`;
    case 1: return `${a}_${n}${num}`;
    case 2: return `${a}${n}${num}`;
    case 3: return `The${cap(a)}${cap(n)}`;
    case 4: return `${cap(a)}-${cap(n)}${num}`;
    default: return `${a.toUpperCase()}${cap(n)}${num}`;
  }
}

export function buyerHandle(rng: Rng): string {
  const base = rng.pick([...ADJ, ...NOUN]);
  return `${base}${rng.pick(['', '_', 'x', '.'])}${rng.int(1, 9999)}`;
}

export function realName(rng: Rng): string {
  return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
}

/** An anonymous-mail e-mail from a handle. */
export function anonEmail(rng: Rng, handle: string): string {
  return `${handle.toLowerCase().replace(/[^a-z0-9]/g, '')}@${rng.pick(EMAIL_HOSTS)}`;
}

/** A clear-web e-mail derived from a real name: the kind of slip that identifies a vendor. */
export function clearEmail(rng: Rng, name: string): string {
  const [first = 'x', last = 'y'] = name.toLowerCase().normalize('NFD').replace(/[^a-z ]/g, '').split(' ');
  return `${first}.${last}${rng.int(70, 99)}@${rng.pick(CLEAR_EMAIL_HOSTS)}`;
}

export function password(rng: Rng, length = 16): string {
  const chars = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < length; i++) s += chars[rng.int(0, chars.length - 1)];
  return s;
}
