export * from './third-party.ts';
