export { shippingSignatures, shippingProfile, type ShippingTrait, type ShippingTraitKind } from './signatures.ts';
