export * from './errors.ts';
export * from './keys.ts';
export * from './sign.ts';
