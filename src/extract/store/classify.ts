import { classifyListing } from '../classify/index.ts';
import type { ListingClass } from './save.ts';

/** The classifier's answer in the listing columns; an unknown substance keeps its candidate term for early warning. */
export function classifyForStore(title: string, description: string): ListingClass {
  const c = classifyListing(title, description);
  return {
    substanceClass: c.substanceClass,
    substance: c.substance ?? c.candidateTerm,
    dose: c.dose?.text ?? null,
    quantity: c.quantity?.amount ?? null,
    unit: c.quantity?.unit ?? null,
  };
}
