import type { Rng } from './rng.ts';
import type { QuantityUnit, SimDose, WritingStyle } from './types.ts';

// Pools the per-identity writing styles are drawn from. Each identity gets a distinctive combination; every habit
// is applied with a probability, so texts are recognisable but noisy (what a stylometric linker faces).
const GREETINGS = ['Hey fam', 'Welcome to my shop', 'Hello friends', 'Yo', 'Greetings', 'Hi all', 'Dear customers',
  'Sup', 'Welcome back', 'Hallo', 'Good day', 'Hiya', 'Oi oi', 'Salutations', 'Ahoy', 'Evening all', "What's good",
  'Hey there', 'Howdy', 'Hola amigos', 'Morning legends', 'Heyyy', 'Bonjour', 'Hello and welcome', 'Peace'];
const SIGN_OFFS = ['Stay safe', 'Peace out', 'Much love', 'Cheers', '- the team', 'Regards', 'Stay lifted',
  'Love & light', 'Best wishes', 'Keep it real', 'Enjoy responsibly', 'Later', 'Blessings', 'Take care', 'Respect',
  'Thanks for your trust', 'See ya', 'Happy days', 'Safe travels', 'Ciao', 'Over and out', 'God bless', 'Be lucky',
  'Ta', 'Namaste', 'xoxo', 'Onwards', 'Peace and love', 'Good vibes only', 'Tschuss'];
const PHRASES = ['top notch quality', 'no bullshit', 'always double vacuum sealed', 'finalize early only for trusted buyers',
  'we never let you down', 'lab tested every batch', 'best in the game', 'straight from the source',
  'no reships after 14 days', 'reship policy is 50%', 'bulk discounts available', 'message me before ordering',
  'quality over quantity', 'customers come first', 'no FE no problem', 'orders cut off at 2pm',
  'you wont be disappointed', 'trust the process', 'old school vendor', 'been doing this since 2017', 'proper gear',
  'honest weights', 'always over-weighted', 'no drama', 'feedback is appreciated',
  'do not leave neutral feedback without messaging', 'fast and discreet', 'we ship monday to friday',
  'check my reviews', 'family run business', 'no minors', 'harm reduction matters', 'test your stuff',
  'start low go slow', 'made with love', 'premium grade', 'the real deal', 'cheapest on the market',
  'price match on request', 'escrow only', 'multisig accepted', 'PGP mandatory', 'encrypt your address',
  'keep it lowkey', 'support small vendors', 'since day one', 'legit as it gets', 'rock solid stealth',
  'all orders tracked', 'free samples for reviewers', 'loyalty discounts', 'dont ask for freebies', 'no lowballers',
  'like a swiss watch', 'on point every time', 'no cap', 'straight fire', 'vacuum sealed x3', 'smell proof',
  'pharma grade'];
const SHIPPING = ['Ships next day, stealth is top notch', 'Tracked & signed, always vacuum sealed',
  'We ship within 24h Mon-Fri', 'Orders before 3pm ship same day', 'Shipping 1-2 days, letterbox friendly',
  'Dispatch daily except sundays', 'First class post, DVD stealth', 'Express shipping available (+$15)',
  'Stealth: MBB + decoy', 'Posted from a different city every day', 'Priority mail, 2-3 days domestic',
  'Int shipping 5-10 working days', 'Ship via registered mail only', 'Dropping orders every morning',
  'We post twice a week (Tue/Fri)', 'Same day dispatch if paid before noon', 'Stealth is pro level, no signatures'];
const EMOJI_SETS = [['🔥', '💯'], ['🌿', '🍃', '✌️'], ['💊', '⚡'], ['❄️', '💎'], ['🚀', '📦'], ['😎', '👌'],
  ['🍄', '🌈'], ['✅', '📬'], [], [], [':)', ':D'], ['<3'], ['🙏', '💚'], ['👑', '💰']];
const PUNCTUATION = ['!!', '.', '...', '!', ' :)', '!!!', '.', ' ;)', '~', ' xD', '.', '!'];
const TYPOS: Array<[string, string]> = [['definitely', 'definately'], ['receive', 'recieve'], ['quality', 'qualty'],
  ['shipping', 'shiping'], ['your', 'ur'], ['you', 'u'], ['because', 'cuz'], ['really', 'realy'],
  ['guaranteed', 'garanteed'], ['separate', 'seperate'], ['business', 'buisness'], ['package', 'pakage'],
  ['tomorrow', 'tommorow'], ['address', 'adress'], ['available', 'availible'], ['discreet', 'discrete'],
  ['thanks', 'thx'], ['please', 'pls'], ['order', 'oder'], ['until', 'untill'], ['stealth', 'stelth'],
  ['weight', 'wieght'], ['the', 'teh'], ['with', 'wiht']];
const BULLETS = ['-', '*', '•', '>>', '+', '~', '=>', '✔'];

export function randomStyle(rng: Rng): WritingStyle {
  return {
    capitalisation: rng.weighted(['normal', 'lower', 'shouty', 'title'] as const, [5, 3, 1, 1]),
    greeting: rng.pick(GREETINGS),
    signOff: rng.pick(SIGN_OFFS),
    phrases: rng.sample(PHRASES, 3),
    shippingPhrase: rng.pick(SHIPPING),
    emojis: rng.pick(EMOJI_SETS),
    emojiRate: rng.float(0.15, 0.6),
    punctuation: rng.pick(PUNCTUATION),
    typos: rng.sample(TYPOS, rng.int(1, 3)),
    typoRate: rng.float(0.4, 0.9),
    bullet: rng.pick(BULLETS),
    titleFormat: rng.int(0, 5),
  };
}

/** Sentence bodies vendors write, with {placeholders} filled by the caller. */
export const PROFILE_SENTENCES = [
  'we are a small team dedicated to your satisfaction',
  'please read our terms before you order',
  'all orders are shipped with the best stealth available',
  'if there is any problem just send me a message',
  'we only sell what we test ourselves',
  'your address is deleted after shipping',
  'dont finalize until you receive your package',
  'we reship once if your order gets lost',
  'bulk orders please message first',
  'we are not responsible for wrong addresses',
  'thanks for your business and trust',
  'new customers welcome, regulars get discounts',
];

function applyTypos(style: WritingStyle, rng: Rng, text: string): string {
  let out = text;
  for (const [right, wrong] of style.typos) {
    out = out.replace(new RegExp(`\\b${right}\\b`, 'gi'), (m) => (rng.chance(style.typoRate) ? wrong : m));
  }
  return out;
}

function capitalise(style: WritingStyle, rng: Rng, text: string): string {
  switch (style.capitalisation) {
    case 'lower': return rng.chance(0.9) ? text.toLowerCase() : text;
    case 'shouty': return text.replace(/\b[a-z]{4,}\b/g, (w) => (rng.chance(0.45) ? w.toUpperCase() : w));
    case 'title': return text.replace(/\b([a-z])([a-z]{2,})\b/g, (_m, a: string, b: string) => (rng.chance(0.8) ? a.toUpperCase() + b : a + b));
    default: return text.charAt(0).toUpperCase() + text.slice(1);
  }
}

/** Renders sentences in an identity's style (greeting, phrases, typos, punctuation, emojis, sign-off). */
export function styledText(style: WritingStyle, rng: Rng, sentences: string[],
  opts: { greeting?: boolean; signOff?: boolean; bullets?: string[] } = {}): string {
  const lines: string[] = [];
  if (opts.greeting !== false && rng.chance(0.8)) lines.push(capitalise(style, rng, style.greeting + (rng.chance(0.7) ? style.punctuation.trim() || '!' : '')));
  for (const s of sentences) {
    let t = s;
    if (rng.chance(0.35)) t += `, ${rng.pick(style.phrases)}`;
    t = applyTypos(style, rng, t);
    t = capitalise(style, rng, t);
    t += rng.chance(0.85) ? style.punctuation : rng.pick(PUNCTUATION);
    if (style.emojis.length > 0 && rng.chance(style.emojiRate)) t += ` ${rng.pick(style.emojis)}`;
    lines.push(t);
  }
  for (const b of opts.bullets ?? []) lines.push(`${style.bullet} ${applyTypos(style, rng, b)}`);
  if (opts.signOff !== false && rng.chance(0.85)) lines.push(style.signOff);
  return lines.join('\n');
}

const UNIT_SHORT: Record<QuantityUnit, string> = { g: 'g', kg: 'kg', mg: 'mg', ml: 'ml', pills: ' pills', tabs: ' tabs', blotters: ' tabs', patches: ' patches' };

export function formatDose(d: SimDose, micro: 'ug' | 'µg' | 'mcg' = 'ug'): string {
  return `${d.amount}${d.unit === 'ug' ? micro : 'mg'}`;
}

/** A listing title in the vendor's preferred layout. */
export function listingTitle(style: WritingStyle, rng: Rng, p: { name: string; quantity: number; unit: QuantityUnit;
  dose?: SimDose; purityPct?: number }): string {
  const qty = `${p.quantity}${UNIT_SHORT[p.unit]}`;
  const dose = p.dose ? ` ${formatDose(p.dose, rng.pick(['ug', 'µg', 'mcg'] as const))}` : '';
  const purity = p.purityPct !== undefined && rng.chance(0.7) ? ` ${p.purityPct}%` : '';
  const emoji = style.emojis.length > 0 && rng.chance(style.emojiRate) ? ` ${rng.pick(style.emojis)}` : '';
  let t: string;
  switch (style.titleFormat) {
    case 0: t = `${qty} ${p.name}${dose}${purity}`; break;
    case 1: t = `[${qty}] ${p.name}${dose} |${purity || ' TOP'}`; break;
    case 2: t = `${p.name}${dose} - ${qty}${purity ? ` (${purity.trim()})` : ''}`; break;
    case 3: t = `★ ${p.name.toUpperCase()}${dose} ★ ${qty}${purity}`; break;
    case 4: t = `${p.name}${dose}${purity} x ${qty.trim()}`; break;
    default: t = `${qty.trim()} x ${p.name}${dose}${purity} - free shipping`; break;
  }
  return (style.capitalisation === 'lower' && rng.chance(0.8) ? t.toLowerCase() : t) + emoji;
}
