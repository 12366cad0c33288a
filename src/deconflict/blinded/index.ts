export * from './matcher.ts';
export * from './protocol.ts';
export * from './rate-limit.ts';

export { portableBlindingClient } from './client.ts';
