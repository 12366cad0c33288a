export * from './ristretto255-sha512.ts';
export { OprfError } from './errors.ts';
