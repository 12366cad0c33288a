import type { Dose, Quantity, UnitForm } from '../../domain/substance.ts';

const G_PER: Record<string, number> = {
  kg: 1000, kilo: 1000, kilos: 1000, kilogram: 1000, kilograms: 1000,
  g: 1, gr: 1, grs: 1, gram: 1, grams: 1, gramm: 1, gramms: 1,
  mg: 0.001,
  oz: 28.349523125, ounce: 28.349523125, ounces: 28.349523125, onz: 28.349523125,
  lb: 453.59237, lbs: 453.59237, pound: 453.59237, pounds: 453.59237, p: 453.59237,
};
const FORM_OF: Record<string, UnitForm> = {
  pill: 'pill', pills: 'pill', pillen: 'pill', pellet: 'pill', pellets: 'pill',
  tab: 'tab', tabs: 'tab', tablet: 'tab', tablets: 'tab', tabz: 'tab',
  blotter: 'blotter', blotters: 'blotter', hit: 'blotter', hits: 'blotter',
  cap: 'capsule', caps: 'capsule', capsule: 'capsule', capsules: 'capsule',
  vial: 'vial', vials: 'vial', amp: 'ampoule', amps: 'ampoule', ampoule: 'ampoule', ampoules: 'ampoule', ampule: 'ampoule', ampules: 'ampoule',
  patch: 'patch', patches: 'patch',
  bar: 'pill', bars: 'pill', strip: 'piece', strips: 'piece', sachet: 'piece', sachets: 'piece', piece: 'piece', pieces: 'piece', pcs: 'piece', pc: 'piece',
  unit: 'unit', units: 'unit', dose: 'unit', doses: 'unit', 'x': 'unit',
};
const NUM = '(\\d+(?:[.,]\\d+)?)';
const MASS_UNIT = '(kg|kilos?|kilograms?|grams?|gramms?|grs?|gr|g|mg|oz|ounces?|onz|lbs?|lb|pounds?)';
const FORM = '(pills?|pellets?|pillen|tabs?|tablets?|tabz|blotters?|hits?|caps?|capsules?|vials?|amps?|ampoules?|ampules?|patch(?:es)?|bars?|strips?|sachets?|pieces?|pcs|pc|units?|doses?)';
const DOSE_UNIT = '(mg|mcg|µg|μg|ug|microgram(?:s)?|milligram(?:s)?)';

function num(s: string): number {
  return Number(s.replace(',', '.'));
}

function doseMg(value: number, unit: string): number {
  const u = unit.toLowerCase();
  return u === 'mg' || u.startsWith('milli') ? value : value / 1000;
}

/** "10mg", "150ug", "180-210MG" (lower bound), "2 mg". */
export function findDoses(title: string): { mg: number; text: string; index: number; end: number; perMl: boolean }[] {
  const out: { mg: number; text: string; index: number; end: number; perMl: boolean }[] = [];
  const re = new RegExp(`(?<![a-wyz0-9.])${NUM}(?:\\s*-\\s*${NUM})?\\s*${DOSE_UNIT}(?![a-z])`, 'gi');
  for (const m of title.matchAll(re)) {
    const end = m.index! + m[0].length;
    const perMl = /^\s*\/\s*ml\b/i.test(title.slice(end, end + 6));
    out.push({ mg: doseMg(num(m[1]!), m[3]!), text: m[0].replace(/\s+/g, ''), index: m.index!, end, perMl });
  }
  return out;
}

/** Named weights: eighth (3.5 g), quarter ounce, QP (quarter pound), HP (half pound), "half oz", "1/8 oz". */
function fractionalMass(t: string): { grams: number; text: string; index: number } | null {
  const frac = /(?<![\w/])(\d)\s*\/\s*(\d{1,2})\s*(?:th)?\s*(oz|ounce|lb|lbs|pound)?\b/i.exec(t);
  if (frac) {
    const unit = (frac[3] ?? 'oz').toLowerCase();
    const f = Number(frac[1]) / Number(frac[2]);
    if (f > 0 && f <= 1) return { grams: f * (G_PER[unit] ?? G_PER.oz!), text: frac[0].trim(), index: frac.index };
  }
  const named: [RegExp, number][] = [
    [/\b(?:an\s+)?eighth\b/i, 3.5],
    [/\bhalf\s+(?:an?\s+)?(?:oz|ounce)\b/i, 14],
    [/\bquarter\s+(?:oz|ounce)\b/i, 7],
    [/\b(?:QP|quarter\s+pound)\b/, 113.398],
    [/\b(?:HP|half\s+(?:a\s+)?(?:pound|lb))\b/, 226.796],
    [/\bhalf\s+(?:a\s+)?(?:kilo|kg)\b/i, 500],
  ];
  for (const [re, g] of named) {
    const m = re.exec(t);
    if (m) return { grams: g, text: m[0], index: m.index };
  }
  return null;
}

export interface ParsedAmounts {
  dose: Dose | null;
  quantity: Quantity | null;
}

/**
 * Dose and quantity from a listing title. Counted listings ("10 x 2mg pills", "100 tabs", "x5") give a unit
 * quantity and a dose; mass listings ("5g", "1 oz", "28 grams", "4 x 28.5g") give grams; a milligram amount with
 * no count and no pill word is a mass (a "200mg sample"), with a count or pill word it is a dose.
 */
export function parseAmounts(title: string): ParsedAmounts {
  const t = title.replace(/&amp;/g, '&');
  const doses = findDoses(t);
  // Counts: explicit multiplication first ("10 x", "10x", "x10", "x 5"), then "<n> [words] <form>" ("100 tabs").
  let count: { n: number; form: UnitForm; text: string; index: number; bare: boolean } | null = null;
  const formWord = new RegExp(`\\b${FORM}\\b`, 'i').exec(t);
  const formOf = () => (formWord ? FORM_OF[formWord[1]!.toLowerCase()] ?? 'unit' : 'unit');
  const timesBefore = /(?<![\w./])(\d{1,6})\s*[x×]\s*(?=[\w(])/i.exec(t);
  const timesAfter = /(?<![\w])[x×]\s*(\d{1,6})(?![\w.,])/i.exec(t);
  const massAfterTimes = timesBefore
    ? new RegExp(`^${NUM}\\s*(kg|kilos?|grams?|grs?|gr|g|oz|ounces?|lbs?|lb|pounds?)\\b`, 'i').exec(t.slice(timesBefore.index + timesBefore[0].length))
    : null;
  if (timesBefore && !massAfterTimes) {
    count = { n: Number(timesBefore[1]), form: formOf(), text: timesBefore[0].trim(), index: timesBefore.index, bare: true };
  } else if (timesAfter) {
    count = { n: Number(timesAfter[1]), form: formOf(), text: timesAfter[0].trim(), index: timesAfter.index, bare: true };
  } else {
    const formRe = new RegExp(`(?<![\\w.])(\\d{1,6})\\s*(?:(?!(?:ml|mg|mcg|ug|µg|g|gr|oz|grams?|kg|lbs?)\\b)[a-z-]+\\s+){0,3}?${FORM}\\b`, 'gi');
    for (const fm of t.matchAll(formRe)) {
      const isDoseNumber = doses.some((d) => fm.index! >= d.index && fm.index! < d.end);
      if (isDoseNumber) continue;
      count = { n: Number(fm[1]), form: FORM_OF[fm[2]!.toLowerCase()] ?? 'unit', text: fm[0], index: fm.index!, bare: false };
      break;
    }
  }
  if (count?.bare && formWord) count.bare = false;
  if (count?.bare && doses.length > 0) count.bare = false;

  // Mass: "N x M g" multiplies; otherwise the first mass or fraction, whichever comes first.
  let mass: { grams: number; text: string; index: number } | null = null;
  const multi = new RegExp(`(?<![\\w.])(\\d{1,4})\\s*[x×]\\s*${NUM}\\s*${MASS_UNIT}\\b`, 'i').exec(t);
  if (multi && multi[3]!.toLowerCase() !== 'mg') {
    mass = { grams: Number(multi[1]) * num(multi[2]!) * G_PER[multi[3]!.toLowerCase()]!, text: multi[0], index: multi.index };
  }
  if (!mass) {
    const massRe = new RegExp(`(?<![\\w.,/])${NUM}\\s*${MASS_UNIT}(?![a-z])`, 'gi');
    for (const m of t.matchAll(massRe)) {
      const unit = m[2]!.toLowerCase();
      if (unit === 'mg') continue;
      if (/\/\s*(?:ml|g)\b/i.test(t.slice(m.index! + m[0].length, m.index! + m[0].length + 4))) continue;
      mass = { grams: num(m[1]!) * G_PER[unit]!, text: m[0], index: m.index! };
      break;
    }
    const frac = fractionalMass(t);
    if (frac && (!mass || frac.index < mass.index)) mass = frac;
  }
  const volume = new RegExp(`(?<![\\w.])${NUM}\\s*ml\\b`, 'i').exec(t);
  // "20x extract 1g": a bare multiplier next to a mass is a strength, not a count.
  if (count?.bare && mass) count = null;

  let dose: Dose | null = null;
  let quantity: Quantity | null = null;
  const firstDose = doses[0];
  const countable = count !== null || formWord !== null;
  if (firstDose && (countable || firstDose.mg < 1 || mass !== null || firstDose.perMl)) {
    dose = { mg: round(firstDose.mg), text: firstDose.text };
  }
  if (count) {
    quantity = { amount: count.n, unit: 'unit', form: count.form, text: count.text.trim() };
  } else if (mass) {
    quantity = { amount: round(mass.grams), unit: 'g', text: mass.text.trim() };
  } else if (firstDose && !countable && firstDose.mg >= 1 && !firstDose.perMl) {
    quantity = { amount: round(firstDose.mg / 1000), unit: 'g', text: firstDose.text };
  } else if (volume) {
    quantity = { amount: num(volume[1]!), unit: 'ml', text: volume[0].trim() };
  } else if (formWord) {
    quantity = { amount: 1, unit: 'unit', form: FORM_OF[formWord[1]!.toLowerCase()] ?? 'unit', text: formWord[0] };
  }
  return { dose, quantity };
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
