import type { Money } from './money.ts';

/** Broad substance classes used for market statistics and harm weighting. */
export const SUBSTANCE_CLASSES = [
  'opioid',
  'stimulant',
  'cannabis',
  'psychedelic',
  'empathogen',
  'benzodiazepine',
  'dissociative',
  'nps',
  'prescription',
  'steroid',
  'other',
  'unknown',
] as const;
export type SubstanceClass = (typeof SUBSTANCE_CLASSES)[number];

export function isSubstanceClass(value: string): value is SubstanceClass {
  return (SUBSTANCE_CLASSES as readonly string[]).includes(value);
}

/** Units a listing's quantity can be expressed in. Mass is normalised to grams; count units stay counts. */
export const QUANTITY_UNITS = ['g', 'ml', 'unit'] as const;
export type QuantityUnit = (typeof QUANTITY_UNITS)[number];

/** Kinds of counted unit, kept for display ("100 tabs", "10 x 2mg pills", "5 blotters"). */
export const UNIT_FORMS = ['pill', 'tab', 'blotter', 'capsule', 'vial', 'ampoule', 'patch', 'piece', 'unit'] as const;
export type UnitForm = (typeof UNIT_FORMS)[number];

export interface Dose {
  /** Amount of active substance per unit, normalised to milligrams (100ug → 0.1). */
  mg: number;
  /** The dose as written ("150ug", "10mg"). */
  text: string;
}

export interface Quantity {
  /** Total amount in `unit`: grams for mass, millilitres for volume, a count for units. */
  amount: number;
  unit: QuantityUnit;
  /** For counted units, what kind of unit. */
  form?: UnitForm;
  /** The quantity as written ("1 oz", "10 x 2mg pills"). */
  text: string;
}

/** The result of classifying one listing title (and optionally its description). */
export interface SubstanceClassification {
  substanceClass: SubstanceClass;
  /** Canonical substance name (lower case, e.g. 'heroin', 'carfentanil', 'mdma'), null when unknown. */
  substance: string | null;
  /** For `unknown`: the candidate term that looked like a substance name (feeds new-substance early warning). */
  candidateTerm: string | null;
  dose: Dose | null;
  quantity: Quantity | null;
  /** 0..1: how sure the classifier is of the substance. */
  confidence: number;
}

/** Unit prices derived from a listing price and its classification. */
export interface UnitPrices {
  /** Price per gram (mass listings) or per millilitre or per unit, in the listing currency. */
  perUnit: Money | null;
  perUnitUsd: Money | null;
  perUnitEur: Money | null;
  /** The unit the price is per: 'g', 'ml' or 'unit'. */
  per: QuantityUnit | null;
  /** The date of the FX rate used (nearest earlier date), when a conversion was made. */
  rateDate: string | null;
}
