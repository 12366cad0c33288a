import type { ScaleParams, ScalePreset, WorldOptions } from './types.ts';

/** Scale presets: 'tiny' for fast tests, 'demo' (default) for a two-minute demo, up to AlphaBay size. */
export const SCALE_PRESETS: Record<ScalePreset, ScaleParams> = {
  tiny: { markets: 5, identities: 30, accounts: 48, listings: 300, buyers: 500, days: 120, channels: 4, salesPerListingMonth: 5 },
  demo: { markets: 5, identities: 120, accounts: 180, listings: 1500, buyers: 3000, days: 180, channels: 6, salesPerListingMonth: 6 },
  medium: { markets: 6, identities: 1500, accounts: 2200, listings: 18000, buyers: 25000, days: 180, channels: 16, salesPerListingMonth: 4 },
  large: { markets: 8, identities: 8000, accounts: 12000, listings: 100000, buyers: 80000, days: 150, channels: 30, salesPerListingMonth: 2.5 },
  alphabay: { markets: 8, identities: 30000, accounts: 37500, listings: 325000, buyers: 200000, days: 120, channels: 60, salesPerListingMonth: 0.9 },
};

export function isScalePreset(s: string): s is ScalePreset {
  return Object.hasOwn(SCALE_PRESETS, s);
}

/** Resolves `WorldOptions.scale` to concrete parameters and checks them. */
export function resolveScale(scale: WorldOptions['scale']): ScaleParams {
  let preset: ScalePreset = 'demo';
  let overrides: Partial<ScaleParams> = {};
  if (typeof scale === 'string') preset = scale;
  else if (scale && ('preset' in scale || 'overrides' in scale)) {
    const s = scale as { preset?: ScalePreset; overrides?: Partial<ScaleParams> };
    preset = s.preset ?? 'demo';
    overrides = s.overrides ?? {};
  } else if (scale) overrides = scale as Partial<ScaleParams>;
  if (!isScalePreset(preset)) throw new Error(`unknown scale preset ${JSON.stringify(preset)} (use ${Object.keys(SCALE_PRESETS).join(', ')})`);
  const p: ScaleParams = { ...SCALE_PRESETS[preset], ...overrides };
  const intIn = (k: keyof ScaleParams, min: number, max: number) => {
    const v = p[k];
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`scale.${k} must be an integer in ${min}..${max}, got ${v}`);
  };
  intIn('markets', 5, 20);
  intIn('identities', 10, 200_000);
  intIn('accounts', p.identities, 400_000);
  intIn('listings', p.accounts, 2_000_000);
  intIn('buyers', 50, 2_000_000);
  intIn('days', 60, 1000);
  intIn('channels', 2, 1000);
  if (!(p.salesPerListingMonth > 0 && p.salesPerListingMonth <= 100)) {
    throw new Error(`scale.salesPerListingMonth must be in (0, 100], got ${p.salesPerListingMonth}`);
  }
  return p;
}
