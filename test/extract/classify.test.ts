import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyListing, unitPrices } from '../../src/extract/classify/index.ts';
import { defaultFxTable, fxTableFromCsv, FxError, FxTable, fxTableToCsv, parseFxCsv } from '../../src/domain/money.ts';

interface Label {
  title: string;
  cls: string;
  substance: string | null;
  doseMg: number | null;
  qty: number | null;
  unit: string | null;
}

const labels: Label[] = readFileSync(new URL('../fixtures/extract/labelled-titles.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => {
    const [title, cls, substance, dose, qty, unit] = l.split('\t');
    return { title: title!, cls: cls!, substance: substance || null, doseMg: dose ? Number(dose) : null, qty: qty ? Number(qty) : null, unit: unit || null };
  });

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b)));

describe('listing classification on hand-labelled titles', () => {
  it('has at least 200 labelled titles', () => {
    expect(labels.length).toBeGreaterThanOrEqual(200);
  });

  it('reaches the accuracy floors per field', () => {
    const fields = { class: 0, substance: 0, dose: 0, quantity: 0 };
    const misses: string[] = [];
    for (const l of labels) {
      const c = classifyListing(l.title);
      const ok = {
        class: c.substanceClass === l.cls,
        substance: c.substance === l.substance,
        dose: close(c.dose?.mg ?? null, l.doseMg),
        quantity: close(c.quantity?.amount ?? null, l.qty) && (c.quantity?.unit ?? null) === l.unit,
      };
      for (const k of Object.keys(ok) as (keyof typeof ok)[]) {
        if (ok[k]) fields[k]++;
        else misses.push(`${k}: "${l.title}" → ${JSON.stringify({ class: c.substanceClass, substance: c.substance, dose: c.dose?.mg, qty: c.quantity?.amount, unit: c.quantity?.unit })}`);
      }
    }
    const acc = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Math.round((v / labels.length) * 1000) / 1000]));
    console.log(`classification accuracy on ${labels.length} titles: ${JSON.stringify(acc)}\n${misses.join('\n')}`);
    expect(acc.class).toBeGreaterThanOrEqual(0.97);
    expect(acc.substance).toBeGreaterThanOrEqual(0.97);
    expect(acc.dose).toBeGreaterThanOrEqual(0.97);
    expect(acc.quantity).toBeGreaterThanOrEqual(0.95);
  });

  it('separates fentanyl analogues and nitazenes from their parents', () => {
    expect(classifyListing('Carfentanil 1g').substance).toBe('carfentanil');
    expect(classifyListing('acetyl-fentanyl 5g').substance).toBe('acetylfentanyl');
    expect(classifyListing('Fentanyl 1g').substance).toBe('fentanyl');
    expect(classifyListing('Isotonitazene 1g')).toMatchObject({ substanceClass: 'opioid', substance: 'isotonitazene' });
    expect(classifyListing('metonitazene 500mg')).toMatchObject({ substanceClass: 'opioid', substance: 'metonitazene' });
  });

  it('keeps the candidate term of unknown substances for early warning', () => {
    expect(classifyListing('3F-PiHP crystals 5g')).toMatchObject({ substanceClass: 'unknown', candidateTerm: '3f-pihp' });
    expect(classifyListing('2-MAP-237 1g research chemical')).toMatchObject({ substanceClass: 'unknown', candidateTerm: '2-map-237' });
    expect(classifyListing('Dipentylone 10g')).toMatchObject({ substanceClass: 'unknown', candidateTerm: 'dipentylone' });
    expect(classifyListing('Fluorexetamine (FXE) 1g').candidateTerm).toBe('fluorexetamine');
    expect(classifyListing('AllDebrid Account [LIFETIME]')).toMatchObject({ substanceClass: 'other', candidateTerm: null });
  });

  it('uses the description only when the title names no substance', () => {
    expect(classifyListing('Blue Magic 1g', 'Top quality heroin from Afghanistan')).toMatchObject({ substance: 'heroin', confidence: 0.5 });
    expect(classifyListing('Cocaine 1g', 'better than heroin')).toMatchObject({ substance: 'cocaine' });
  });
});

describe('unit prices and FX', () => {
  const fx = fxTableFromCsv('date,currency,usd\n2014-04-01,BTC,480\n2014-04-06,BTC,450\n2014-04-01,EUR,1.38\n2014-05-01,BTC,440\n');

  it('computes price per gram in listing currency, USD and EUR at the nearest earlier date', () => {
    const c = classifyListing('28g master kush');
    const p = unitPrices({ amount: 0.4263693, currency: 'BTC' }, c, '2014-04-06T12:00:00Z', fx);
    expect(p.per).toBe('g');
    expect(p.perUnit!.amount).toBeCloseTo(0.4263693 / 28, 12);
    expect(p.perUnitUsd!.amount).toBeCloseTo((0.4263693 / 28) * 450, 9);
    expect(p.perUnitEur!.amount).toBeCloseTo(((0.4263693 / 28) * 450) / 1.38, 9);
    expect(p.rateDate).toBe('2014-04-06');
    const earlier = unitPrices({ amount: 1, currency: 'BTC' }, { quantity: { amount: 1, unit: 'g', text: '1g' } }, '2014-04-05', fx);
    expect(earlier.perUnitUsd!.amount).toBe(480);
  });

  it('prices per unit for counted listings and leaves unknown quantities empty', () => {
    const p = unitPrices({ amount: 120, currency: 'USD' }, classifyListing('100 tabs Generic Ambien 10mg'), '2014-04-10', fx);
    expect(p).toMatchObject({ per: 'unit', perUnit: { amount: 1.2, currency: 'USD' }, perUnitUsd: { amount: 1.2, currency: 'USD' } });
    expect(p.perUnitEur!.amount).toBeCloseTo(1.2 / 1.38, 9);
    expect(unitPrices({ amount: 1, currency: 'BTC' }, classifyListing('Colombian cocaine kilo'), '2014-04-10', fx).perUnit).toBeNull();
    expect(unitPrices({ amount: 1, currency: 'XMR' }, classifyListing('1g MDMA'), '2014-04-10', fx)).toMatchObject({ perUnitUsd: null });
    expect(unitPrices({ amount: 1, currency: 'BTC' }, classifyListing('1g MDMA'), '2013-01-01', fx)).toMatchObject({ perUnitUsd: null });
  });

  it('parses, validates and round-trips the user rate CSV', () => {
    expect(() => parseFxCsv('date,currency,usd\n2014-13-01,BTC,1')).toThrow(FxError);
    expect(() => parseFxCsv('2014-01-01,DOGE,1')).toThrow(/line 1: unknown currency 'DOGE'/);
    expect(() => parseFxCsv('2014-01-01,BTC,-5')).toThrow(/invalid usd value/);
    expect(() => parseFxCsv('2014-01-01,BTC')).toThrow(/expected 3 columns/);
    const t = new FxTable(parseFxCsv('# comment\n2014-01-01,btc,770\n2014-01-01,BTC,771\n'));
    expect(t.size).toBe(1);
    expect(t.usdPerUnit('BTC', '2015-01-01')).toEqual({ usd: 771, date: '2014-01-01' });
    expect(fxTableFromCsv(fxTableToCsv(fx)).rows()).toEqual(fx.rows());
    expect(defaultFxTable().usdPerUnit('BTC', '2014-04-06')?.usd).toBe(453.91);
    expect(defaultFxTable().convert({ amount: 1, currency: 'XMR' }, 'EUR', '2020-06-01')?.amount).toBeCloseTo(45 / 1.12, 9);
  });
});
