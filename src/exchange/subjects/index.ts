export * from './subject.ts';
