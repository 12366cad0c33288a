/**
 * OPRF de-confliction benchmark: RFC 9497 ristretto255-SHA512 operations per second, and the blinded matcher's
 * register/probe rates. Prints one JSON document. Every loop is bounded by count and time.
 *
 *   npx tsx bench/oprf.bench.ts [--tokens 1000000] [--seconds 2] [--fill-seconds 600]
 */
import { cpus } from 'node:os';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { randomBytes, bytesToHex } from '@noble/hashes/utils.js';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { blind, blindEvaluate, finalize, evaluate, generateKeyPair } from '../src/deconflict/oprf/index.ts';
import { BlindedMatcher, OprfEvaluator, blindingClient } from '../src/deconflict/index.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const seconds = arg('seconds', 2);
const tokens = Math.floor(arg('tokens', 1_000_000));
/** Time cap of filling the matcher (the fill stops at --tokens or here, and the figures name the count reached). */
const fillSeconds = arg('fill-seconds', 600);

/** Runs `fn` until `seconds` have passed or `maxOps` operations were done; returns operations per second. */
function measure(fn: (i: number) => void, maxOps = 1_000_000): { opsPerSec: number; ops: number; ms: number } {
  for (let i = 0; i < 20; i++) fn(i); // warm-up
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let ops = 0;
  while (ops < maxOps && performance.now() < deadline) {
    for (let j = 0; j < 16 && ops < maxOps; j++) fn(ops++);
  }
  const ms = performance.now() - start;
  return { opsPerSec: Math.round((ops / ms) * 1000), ops, ms: Math.round(ms) };
}

const key = generateKeyPair();
const inputs = Array.from({ length: 256 }, (_, i) => new TextEncoder().encode(`btc_address\u0000bc1qexample${i}`));
const blinded = inputs.map((x) => blind(x));
const evaluated = blinded.map((b) => blindEvaluate(key.secretKey, b.blindedElement));

// The peer measured in the same run: the pure-JS ristretto255 multiply (@noble/curves) that the previous
// implementation was bound by (decode + multiply + encode, the same work as one BlindEvaluate).
const noblePoints = blinded.map((b) => b.blindedElement);
const nobleScalar = ristretto255.Point.Fn.fromBytes(key.secretKey, true);
const blindEvaluateRate = measure((i) => blindEvaluate(key.secretKey, blinded[i % 256]!.blindedElement));
const nobleRate = measure((i) => ristretto255.Point.fromBytes(noblePoints[i % 256]!).multiply(nobleScalar).toBytes(), 20_000);
const results: Record<string, unknown> = {
  'server BlindEvaluate': blindEvaluateRate,
  'peer: @noble/curves ristretto255 decode+multiply+encode': nobleRate,
  'BlindEvaluate / noble multiply': Math.round((blindEvaluateRate.opsPerSec / nobleRate.opsPerSec) * 100) / 100,
  'target BlindEvaluate per core': 2000,
  'client Blind': measure((i) => blind(inputs[i % 256]!)),
  'client Finalize': measure((i) => finalize(inputs[i % 256]!, blinded[i % 256]!.blind, evaluated[i % 256]!)),
  'server Evaluate (unblinded, for reference)': measure((i) => evaluate(key.secretKey, inputs[i % 256]!)),
};

const evaluator = new OprfEvaluator({ secretKey: key.secretKey, rateLimit: { capacity: 1e12, refillPerSecond: 1e12 } });
results['full round (prepare + evaluate + finish)'] = measure((i) => {
  const { request, state } = blindingClient.prepare('email', `user${i}@example.org`);
  blindingClient.finish(state, evaluator.evaluate('bench', [request.blindedElement])[0]!);
});

// The matcher works on tokens, so random 64-byte tokens stand in for OPRF outputs here.
const matcher = new BlindedMatcher();
const fillStart = performance.now();
const fillDeadline = fillStart + fillSeconds * 1000;
let filled = 0;
let registerMs = 0;
while (filled < tokens && performance.now() < fillDeadline) {
  // Random tokens are drawn in chunks outside the timed part.
  const chunk = nodeRandomBytes(64 * 4096).toString('hex');
  const t0 = performance.now();
  for (let j = 0; j < 4096 && filled < tokens; j++, filled++) {
    matcher.register({ agencyId: `agency-${filled % 27}`, caseRef: `case-${filled % 5000}`, contact: 'desk@example.org', token: chunk.slice(j * 128, j * 128 + 128) });
  }
  registerMs += performance.now() - t0;
}
const fillMs = registerMs;
const probeTokens = Array.from({ length: 1024 }, () => bytesToHex(randomBytes(64)));
results['matcher register'] = { opsPerSec: Math.round((filled / fillMs) * 1000), ops: filled, ms: Math.round(fillMs) };
results[`matcher probe at ${filled} tokens`] = measure((i) => matcher.probe('agency-x', probeTokens[i % 1024]!));

console.log(
  JSON.stringify(
    {
      bench: 'oprf',
      suite: 'RFC 9497 OPRF(ristretto255, SHA-512), mode 0x00',
      command: `npx tsx bench/oprf.bench.ts --tokens ${tokens} --seconds ${seconds} --fill-seconds ${fillSeconds}`,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
      results,
    },
  ),
);
