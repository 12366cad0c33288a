export * from './tlp.ts';
export * from './market.ts';
export * from './role.ts';
export * from './onion.ts';
export * from './selector.ts';
export * from './canonical-json.ts';
export * from './seizure.ts';
export * from './login-form.ts';
export { lowerBound } from './sorted.ts';
