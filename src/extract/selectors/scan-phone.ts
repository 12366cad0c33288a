/**
 * Phone numbers. Precision first: a number counts when it is written internationally (`+` and an assigned
 * calling code, or `00` with grouping) or when a phone word (tel, phone, whatsapp, signal, …) labels it.
 * Prices, dates, amounts (one decimal point), listing ids and BTC values are rejected by shape.
 */
import type { ScanContext } from './scan-context.ts';
import { normalizePhoneDigits } from '../../domain/index.ts';
import { callingCodeOf } from './calling-codes.ts';

export const PHONE_CANDIDATE = /(?<![\w+\-.,/$€£#@%])(\+[^\S\n]?|\(\+?)?\d[\d \t.\-()]{5,24}\d(?![\w%€$£]|[.,]\d)/g;
const PHONE_WORDS =
  /(?:\b(phone|ph|tel|tele|telephone|telefon|telefoon|telefono|téléphone|mobile|mob|cell|cellphone|call|sms|text me|whatsapp|whats app|wa|signal|viber|handy|gsm|hotline)\b|☎|📞|📱)/g;

export interface PhoneRead {
  value: string;
  international: boolean;
}

/** Reads a phone candidate; `context` is the phone word that labels it, if any. */
export function readPhone(raw: string, context: string | undefined, defaultCallingCode?: string): PhoneRead | undefined {
  const digits = raw.replace(/\D/g, '');
  if (/^(\d)\1+$/.test(digits)) return undefined;
  if ((raw.match(/\./g)?.length ?? 0) === 1) return undefined; // 1234.56, 0.0123
  if (!balanced(raw)) return undefined;
  const compact = raw.replace(/[\s()]/g, '');
  if (/^\d{1,4}[-.]\d{1,2}[-.]\d{1,4}$/.test(compact) && !/^\d{3}[-.]\d{3,4}/.test(compact)) return undefined; // dates
  if (/^\d{4}-\d{2}-\d{2}/.test(compact)) return undefined;
  const plus = /^\(?\+/.test(raw);
  const zeros = !plus && /^\(?00[1-9]/.test(raw);
  if (plus || zeros) {
    const value = normalizePhoneDigits(raw);
    const intlDigits = value.slice(1);
    if (intlDigits.length < 8 || intlDigits.length > 15) return undefined;
    const cc = callingCodeOf(intlDigits);
    if (!cc || !plausibleNational(cc, intlDigits.slice(cc.length))) return undefined;
    // `00…` without grouping is as likely an id as a number: needs a label.
    if (zeros && !context && !/[\s.\-()]/.test(raw)) return undefined;
    return { value, international: true };
  }
  if (!context) return undefined;
  if (digits.length < 7 || digits.length > 12) return undefined;
  const value = normalizePhoneDigits(raw, defaultCallingCode);
  return { value, international: value.startsWith('+') };
}

/** Shape rules that hold for every real number: NANP (+1) is NPA-NXX-XXXX, +7 has ten digits, no long zero runs. */
function plausibleNational(cc: string, national: string): boolean {
  if (/0{6}/.test(national) || /(\d)\1{6}/.test(national)) return false;
  if (cc === '1') return /^[2-9]\d{2}[2-9]\d{6}$/.test(national);
  if (cc === '7') return national.length === 10;
  return national.length >= 6;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

// Between a phone word and its number only punctuation, a country tag "(NL)" and these words may stand
// ("WhatsApp me on +1…").
const FILLER = /^(?:\([a-z]{2,3}\)|[^A-Za-zÀ-ÿ]|\b(?:me|on|at|is|or|via|number|no|nr|only|us|my|our|and|contact|call|text|only)\b)*$/i;

function nearestPhoneWord(before: string): string | undefined {
  PHONE_WORDS.lastIndex = 0;
  let last: RegExpExecArray | undefined;
  let m: RegExpExecArray | null;
  while ((m = PHONE_WORDS.exec(before)) !== null) last = m;
  if (!last) return undefined;
  if (!FILLER.test(before.slice(last.index + last[0].length))) return undefined;
  return (last[1] ?? 'phone').replace(/\s+/g, '');
}

export function scanPhones(ctx: ScanContext): void {
  if (!ctx.wants('phone') && !ctx.wants('signal')) return;
  ctx.each(PHONE_CANDIDATE, (m) => {
    let raw = m[0];
    let start = m.index;
    // A parenthesis opened before the number and closed inside it ("(+31) 6…") is fine; a stray one is not ours.
    if (raw.endsWith(')') && !balanced(raw)) raw = raw.slice(0, -1);
    if (raw.startsWith('(') && !balanced(raw)) {
      raw = raw.slice(1);
      start++;
    }
    raw = raw.replace(/[\s.\-(]+$/, '');
    const context = nearestPhoneWord(ctx.before(start, 32));
    const read = readPhone(raw, context, ctx.opts.defaultCallingCode);
    if (!read) return;
    const end = start + raw.length;
    ctx.emit({ kind: 'phone', start, end, value: read.value, meta: context ? { international: read.international, context } : { international: read.international } });
    if (context === 'signal') ctx.emit({ kind: 'signal', start, end, value: read.value, meta: { via: 'label', form: 'phone' } });
  });
}
