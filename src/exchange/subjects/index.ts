export * from './subject.ts';
export * from './feed-entries.ts';
export * from './shipping.ts';
