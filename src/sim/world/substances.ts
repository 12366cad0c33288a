import type { QuantityUnit, SimDose, SubstanceClass } from './types.ts';

/**
 * The product catalogue vendors draw from. Prices are realistic dark-web retail prices per *unit* (gram, pill,
 * blotter, patch) in USD, from market-monitoring reports (EMCDDA/Europol drug-market analyses, UNODC); the
 * generator adds vendor-level variation and bulk discounts.
 */
export interface SubstanceSpec {
  substance: string;
  class: SubstanceClass;
  /** Names vendors use in titles. */
  names: string[];
  unit: QuantityUnit;
  /** Quantities a listing offers (in `unit`). */
  quantities: number[];
  /** Price per unit (USD) range for the smallest quantity. */
  unitPrice: [number, number];
  /** Per-unit strength for countable units. */
  doses?: SimDose[];
  /** Purity claims (percent) for powders. */
  purity?: [number, number];
  /** 0..1 harm weight used for the ground-truth harm score. */
  harm: number;
  /** Relative prevalence within its class. */
  weight: number;
}

const g = (q: number[]) => q;

export const SUBSTANCES: readonly SubstanceSpec[] = [
  // Opioids
  { substance: 'heroin', class: 'opioid', names: ['Heroin #4', 'Afghan Heroin', 'Brown Heroin', 'H #3', 'Dope'], unit: 'g', quantities: g([0.5, 1, 2, 3.5, 5, 10, 28]), unitPrice: [60, 140], purity: [35, 80], harm: 0.75, weight: 5 },
  { substance: 'fentanyl', class: 'opioid', names: ['Fentanyl HCl', 'Fent powder', 'Fentanyl'], unit: 'g', quantities: g([0.5, 1, 2, 5, 10]), unitPrice: [60, 220], purity: [5, 90], harm: 0.95, weight: 2 },
  { substance: 'acetylfentanyl', class: 'opioid', names: ['Acetylfentanyl', 'Acetyl Fent'], unit: 'g', quantities: g([0.5, 1, 5]), unitPrice: [80, 200], purity: [80, 99], harm: 0.95, weight: 1 },
  { substance: 'carfentanil', class: 'opioid', names: ['Carfentanil'], unit: 'mg', quantities: g([100, 250, 500]), unitPrice: [0.8, 2.5], purity: [95, 99], harm: 1, weight: 0.3 },
  { substance: 'isotonitazene', class: 'opioid', names: ['Isotonitazene', 'Iso', 'ISO nitazene'], unit: 'mg', quantities: g([100, 250, 500, 1000]), unitPrice: [0.25, 0.8], purity: [95, 99.5], harm: 1, weight: 0.8 },
  { substance: 'protonitazene', class: 'opioid', names: ['Protonitazene', 'Proto'], unit: 'mg', quantities: g([100, 250, 500, 1000]), unitPrice: [0.2, 0.7], purity: [95, 99.5], harm: 1, weight: 0.8 },
  { substance: 'metonitazene', class: 'opioid', names: ['Metonitazene'], unit: 'mg', quantities: g([100, 250, 500]), unitPrice: [0.2, 0.6], purity: [95, 99.5], harm: 1, weight: 0.5 },
  { substance: 'n-pyrrolidino etonitazene', class: 'opioid', names: ['Etonitazepyne', 'N-Pyrrolidino Etonitazene', 'Pyro'], unit: 'mg', quantities: g([100, 250, 500]), unitPrice: [0.3, 0.9], purity: [95, 99.5], harm: 1, weight: 0.4 },
  { substance: 'oxycodone', class: 'opioid', names: ['Oxycodone', 'Oxy', 'OxyContin', 'Roxicodone'], unit: 'pills', quantities: g([5, 10, 20, 50, 100]), unitPrice: [15, 40], doses: [{ amount: 10, unit: 'mg' }, { amount: 20, unit: 'mg' }, { amount: 30, unit: 'mg' }, { amount: 80, unit: 'mg' }], harm: 0.65, weight: 3 },
  { substance: 'fentanyl', class: 'opioid', names: ['Fentanyl patches', 'Durogesic patches'], unit: 'patches', quantities: g([5, 10, 20]), unitPrice: [15, 45], doses: [{ amount: 50, unit: 'ug' }, { amount: 100, unit: 'ug' }], harm: 0.9, weight: 0.5 },
  // Stimulants
  { substance: 'cocaine', class: 'stimulant', names: ['Cocaine', 'Peruvian Flake', 'Colombian Coke', 'Fishscale Cocaine', 'Cocaine HCl'], unit: 'g', quantities: g([0.5, 1, 2, 3.5, 5, 10, 28, 100]), unitPrice: [55, 120], purity: [60, 93], harm: 0.45, weight: 6 },
  { substance: 'methamphetamine', class: 'stimulant', names: ['Crystal Meth', 'Ice', 'Methamphetamine', 'Tina shards'], unit: 'g', quantities: g([0.5, 1, 3.5, 7, 14, 28]), unitPrice: [20, 80], purity: [80, 99], harm: 0.55, weight: 3 },
  { substance: 'amphetamine', class: 'stimulant', names: ['Speed paste', 'Amphetamine sulfate', 'Amph', 'Pep'], unit: 'g', quantities: g([5, 10, 25, 50, 100, 500]), unitPrice: [4, 14], purity: [20, 70], harm: 0.35, weight: 4 },
  { substance: 'mdma', class: 'stimulant', names: ['MDMA crystal', 'Dutch MDMA', 'Molly', 'MDMA champagne'], unit: 'g', quantities: g([1, 2, 5, 10, 28, 100]), unitPrice: [18, 45], purity: [75, 90], harm: 0.35, weight: 4 },
  { substance: 'mdma', class: 'stimulant', names: ['XTC pills', 'Ecstasy', 'Blue Punisher', 'Tesla XTC', 'Philipp Plein'], unit: 'pills', quantities: g([10, 25, 50, 100, 500, 1000]), unitPrice: [3, 12], doses: [{ amount: 150, unit: 'mg' }, { amount: 200, unit: 'mg' }, { amount: 250, unit: 'mg' }, { amount: 300, unit: 'mg' }], harm: 0.35, weight: 4 },
  // Cannabis
  { substance: 'cannabis', class: 'cannabis', names: ['Gelato', 'OG Kush', 'Amnesia Haze', 'Girl Scout Cookies', 'Wedding Cake', 'Gorilla Glue #4', 'Zkittlez'], unit: 'g', quantities: g([3.5, 7, 14, 28, 56, 112, 448]), unitPrice: [6, 14], harm: 0.05, weight: 8 },
  { substance: 'hashish', class: 'cannabis', names: ['Moroccan Hash', 'Charas', 'Dry sift hash', 'Lebanese Blonde', 'Frozen hash'], unit: 'g', quantities: g([5, 10, 25, 50, 100]), unitPrice: [6, 16], harm: 0.05, weight: 4 },
  // Psychedelics
  { substance: 'lsd', class: 'psychedelic', names: ['LSD tabs', 'Blotter LSD', 'Hofmann blotters', 'LSD-25'], unit: 'blotters', quantities: g([5, 10, 25, 50, 100]), unitPrice: [4, 12], doses: [{ amount: 100, unit: 'ug' }, { amount: 150, unit: 'ug' }, { amount: 200, unit: 'ug' }, { amount: 250, unit: 'ug' }], harm: 0.1, weight: 4 },
  { substance: 'psilocybin mushrooms', class: 'psychedelic', names: ['Golden Teacher', 'Penis Envy', 'B+ shrooms', 'Magic mushrooms'], unit: 'g', quantities: g([3.5, 7, 14, 28, 100]), unitPrice: [6, 15], harm: 0.08, weight: 3 },
  { substance: 'dmt', class: 'psychedelic', names: ['DMT freebase', 'N,N-DMT', 'DMT crystals'], unit: 'g', quantities: g([0.5, 1, 2, 5]), unitPrice: [60, 130], purity: [95, 99], harm: 0.1, weight: 1.5 },
  { substance: '2c-b', class: 'psychedelic', names: ['2C-B pills', 'Nexus'], unit: 'pills', quantities: g([10, 25, 50, 100]), unitPrice: [6, 15], doses: [{ amount: 15, unit: 'mg' }, { amount: 20, unit: 'mg' }, { amount: 25, unit: 'mg' }], harm: 0.15, weight: 1.5 },
  // Benzodiazepines
  { substance: 'alprazolam', class: 'benzodiazepine', names: ['Xanax bars', 'Alprazolam', 'Xanax', 'Green hulks'], unit: 'pills', quantities: g([10, 30, 50, 100, 500]), unitPrice: [1, 5], doses: [{ amount: 1, unit: 'mg' }, { amount: 2, unit: 'mg' }], harm: 0.4, weight: 4 },
  { substance: 'diazepam', class: 'benzodiazepine', names: ['Diazepam', 'Valium', 'Diazepam Teva'], unit: 'pills', quantities: g([20, 50, 100, 500]), unitPrice: [0.6, 2.5], doses: [{ amount: 5, unit: 'mg' }, { amount: 10, unit: 'mg' }], harm: 0.35, weight: 3 },
  { substance: 'clonazepam', class: 'benzodiazepine', names: ['Clonazepam', 'Rivotril', 'Klonopin'], unit: 'pills', quantities: g([20, 50, 100]), unitPrice: [1, 3], doses: [{ amount: 2, unit: 'mg' }], harm: 0.35, weight: 1.5 },
  // Dissociatives
  { substance: 'ketamine', class: 'dissociative', names: ['Ketamine', 'Ket needles', 'Ketamine shards', 'K crystal'], unit: 'g', quantities: g([1, 2, 5, 10, 28, 100]), unitPrice: [18, 45], purity: [85, 99], harm: 0.3, weight: 5 },
  { substance: '3-meo-pcp', class: 'dissociative', names: ['3-MeO-PCP'], unit: 'g', quantities: g([0.5, 1, 5]), unitPrice: [25, 60], purity: [98, 99.5], harm: 0.45, weight: 1 },
  // NPS
  { substance: '3-mmc', class: 'nps', names: ['3-MMC', '3-MMC crystals', 'Metaphedrone'], unit: 'g', quantities: g([1, 5, 10, 25, 50]), unitPrice: [12, 30], purity: [95, 99.5], harm: 0.4, weight: 3 },
  { substance: 'mephedrone', class: 'nps', names: ['4-MMC', 'Mephedrone', 'Meow meow'], unit: 'g', quantities: g([1, 5, 10, 28]), unitPrice: [15, 35], purity: [90, 99], harm: 0.4, weight: 2 },
  { substance: 'a-pvp', class: 'nps', names: ['A-PVP', 'Flakka', 'alpha-PVP'], unit: 'g', quantities: g([1, 5, 10]), unitPrice: [20, 45], purity: [95, 99], harm: 0.55, weight: 1 },
  { substance: 'mdmb-4en-pinaca', class: 'nps', names: ['MDMB-4en-PINACA', '4F-ADB spice', 'Synthetic cannabinoid'], unit: 'g', quantities: g([1, 5, 10]), unitPrice: [15, 40], purity: [95, 99], harm: 0.6, weight: 1 },
  { substance: 'bromazolam', class: 'nps', names: ['Bromazolam', 'Bromazolam pellets'], unit: 'pills', quantities: g([20, 50, 100, 500]), unitPrice: [0.7, 2.5], doses: [{ amount: 1, unit: 'mg' }, { amount: 2, unit: 'mg' }], harm: 0.55, weight: 1.5 },
  // Prescription
  { substance: 'tramadol', class: 'prescription', names: ['Tramadol', 'Tramadol HCl', 'Ultram'], unit: 'pills', quantities: g([20, 50, 100, 200]), unitPrice: [0.8, 2.5], doses: [{ amount: 50, unit: 'mg' }, { amount: 100, unit: 'mg' }, { amount: 225, unit: 'mg' }], harm: 0.3, weight: 3 },
  { substance: 'pregabalin', class: 'prescription', names: ['Pregabalin', 'Lyrica'], unit: 'pills', quantities: g([28, 56, 100]), unitPrice: [0.5, 1.5], doses: [{ amount: 150, unit: 'mg' }, { amount: 300, unit: 'mg' }], harm: 0.2, weight: 2 },
  { substance: 'modafinil', class: 'prescription', names: ['Modafinil', 'Modalert', 'Provigil'], unit: 'pills', quantities: g([10, 30, 100]), unitPrice: [0.8, 2.2], doses: [{ amount: 200, unit: 'mg' }], harm: 0.05, weight: 2 },
  { substance: 'methylphenidate', class: 'prescription', names: ['Ritalin', 'Methylphenidate', 'Concerta'], unit: 'pills', quantities: g([10, 30, 60]), unitPrice: [2, 6], doses: [{ amount: 10, unit: 'mg' }, { amount: 18, unit: 'mg' }, { amount: 36, unit: 'mg' }], harm: 0.15, weight: 1.5 },
];

/** How common each class is among vendors (cannabis and stimulants dominate real markets). */
export const CLASS_WEIGHTS: Record<SubstanceClass, number> = {
  cannabis: 30, stimulant: 26, opioid: 11, psychedelic: 10, benzodiazepine: 8, prescription: 7, dissociative: 5, nps: 5,
};

/** Grams in one unit for mass units; null for countable units and volumes. */
export function unitToGrams(unit: QuantityUnit): number | null {
  if (unit === 'g') return 1;
  if (unit === 'kg') return 1000;
  if (unit === 'mg') return 0.001;
  return null;
}

export function substancesOfClass(c: SubstanceClass): SubstanceSpec[] {
  return SUBSTANCES.filter((s) => s.class === c);
}
