export * from './subject.ts';
export * from './shipping.ts';
