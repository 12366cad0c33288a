import { describe, expect, it } from 'vitest';
import { generateAgencyKeyPair, NonceCache, publicPart, RequestVerificationError, signRequest, verifyRequest } from '../../src/exchange/index.ts';

const nl = generateAgencyKeyPair('nl-politie');
const trusted = [publicPart(nl)];
const req = { method: 'POST', path: '/api/federation/deconflict/tokens', body: '{"tokens":["ab"]}', audience: 'europol-hub' };
const now = new Date('2026-11-24T08:00:00.000Z');

function code(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof RequestVerificationError) return e.code;
    throw e;
  }
}

describe('signed federation requests', () => {
  it('accepts a signed request once, and names the agency', () => {
    const nonces = new NonceCache(10 * 60_000);
    const headers = signRequest(req, nl, now);
    expect(verifyRequest({ ...req, headers }, { audience: 'europol-hub', trustedKeys: trusted, nonces, now })).toEqual({ agencyId: 'nl-politie', keyId: nl.keyId });
    expect(code(() => verifyRequest({ ...req, headers }, { audience: 'europol-hub', trustedKeys: trusted, nonces, now }))).toBe('replay');
  });

  it('refuses changed bodies, paths and methods, other audiences, old requests and strangers', () => {
    const opts = () => ({ audience: 'europol-hub', trustedKeys: trusted, nonces: new NonceCache(600_000), now });
    const headers = signRequest(req, nl, now);
    expect(code(() => verifyRequest({ ...req, body: '{"tokens":["cd"]}', headers }, opts()))).toBe('bad_signature');
    expect(code(() => verifyRequest({ ...req, path: '/api/federation/other', headers }, opts()))).toBe('bad_signature');
    expect(code(() => verifyRequest({ ...req, method: 'DELETE', headers }, opts()))).toBe('bad_signature');
    expect(code(() => verifyRequest({ ...req, headers }, { ...opts(), audience: 'de-bka' }))).toBe('wrong_audience');
    expect(code(() => verifyRequest({ ...req, headers }, { ...opts(), now: new Date(now.getTime() + 6 * 60_000) }))).toBe('stale');
    const stranger = generateAgencyKeyPair('nl-politie');
    expect(code(() => verifyRequest({ ...req, headers: signRequest(req, stranger, now) }, opts()))).toBe('unknown_signer');
    const { 'x-darkpatrol-nonce': _n, ...missing } = headers;
    expect(code(() => verifyRequest({ ...req, headers: missing }, opts()))).toBe('missing_header');
  });
});
