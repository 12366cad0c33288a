import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equalityComparisons, importBundle, parseStixPattern, PatternSyntaxError, StixImportError } from '../../src/exchange/index.ts';

const CONFORMANCE = resolve(import.meta.dirname, '../../../shared/conformance');

/** Every STIX pattern of the OASIS examples (both repositories). */
function oasisPatterns(): string[] {
  const dirs = [join(CONFORMANCE, 'stix2.1-examples/examples/example_json'), join(CONFORMANCE, 'stix2.1-json-schemas/examples'), join(CONFORMANCE, 'stix2.1-json-schemas/examples/threat-reports')];
  const out: string[] = [];
  for (const d of dirs)
    for (const f of readdirSync(d).filter((n) => n.endsWith('.json'))) {
      const text = readFileSync(join(d, f), 'utf8');
      for (const m of text.matchAll(/"pattern"\s*:\s*("(?:[^"\\]|\\.)*")/g)) out.push(JSON.parse(m[1]!) as string);
    }
  return out;
}

describe('STIX 2.1 pattern grammar', () => {
  it('parses every pattern of the OASIS examples', () => {
    const patterns = oasisPatterns();
    expect(patterns.length).toBeGreaterThan(5);
    for (const p of patterns) expect(() => parseStixPattern(p), p).not.toThrow();
  });

  it('parses the constructs of STIX 2.1 §9', () => {
    for (const p of [
      "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name LIKE 'pdf%']",
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_port IN (80, 443, 8080)] REPEATS 5 TIMES WITHIN 180 SECONDS",
      "([ipv4-addr:value = '198.51.100.1/32'] OR [ipv4-addr:value ISSUBSET '203.0.113.0/24']) FOLLOWEDBY [domain-name:value = 'example.com'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
      "[file:size > 1024 AND file:size <= 2.5e3]".replace('2.5e3', '2500.5'),
      "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\System' AND NOT windows-registry-key:values[0].name = 'x']".replace('AND NOT windows-registry-key:values[0].name', 'AND windows-registry-key:values[0].name NOT'),
      "[artifact:payload_bin = b'dGVzdA==' OR artifact:mime_type != 'text/plain']",
      "[x-custom-thing:value = h'ab01']",
      "[user-account:account_type = 'telegram' AND user-account:user_id = 'O\\'Brien']",
      "[process:pid > -1 AND EXISTS process:name]",
    ])
      expect(() => parseStixPattern(p), p).not.toThrow();
    expect(equalityComparisons("[user-account:account_type = 'telegram' AND user-account:user_id = 'O\\'Brien']")).toEqual([
      { objectType: 'user-account', path: 'account_type', value: 'telegram' },
      { objectType: 'user-account', path: 'user_id', value: "O'Brien" },
    ]);
  });

  it('refuses what the grammar does not produce, naming where', () => {
    const bad: [string, RegExp][] = [
      ["[email-addr:value = 'unterminated]", /unterminated string/],
      ["[email-addr:value = 'a'", /expected '\]'/],
      ["email-addr:value = 'a'", /expected '\[' or '\('/],
      ["[email-addr:value 'a']", /comparison operator/],
      ["[email-addr:value = 'a' AND domain-name:value = 'b']", /different object types/],
      ["[email-addr:value <> 'a']", /not a STIX operator/],
      ["[file:created = t'2016-13-01T00:00:00Z']", /timestamp literal/],
      ["[email-addr:value = 'a\\n']", /invalid escape/],
      ["[email-addr:value = 'a'] WITHIN -5 SECONDS", /positive/],
      ["[email-addr:value = 'a'] trailing", /after the pattern/],
      ['', /expected '\[' or '\('/],
      ['('.repeat(300) + "[a:b = 'c']" + ')'.repeat(300), /nested too deeply/],
      ["[a:b = 'c' AND " + '('.repeat(300) + "a:b = 'c'" + ')'.repeat(300) + ']', /nested too deeply/],
    ];
    for (const [p, why] of bad) {
      let err: unknown;
      try {
        parseStixPattern(p);
      } catch (e) {
        err = e;
      }
      expect(err, p).toBeInstanceOf(PatternSyntaxError);
      expect((err as Error).message, p).toMatch(why);
      expect((err as Error).message).toMatch(/at offset \d+/);
    }
  });
});

describe('semantic rules of the OASIS validator, enforced on import', () => {
  const base = { type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', created: '2020-01-02T00:00:00.000Z', modified: '2020-01-02T00:00:00.000Z', pattern: "[email-addr:value = 'a@b.example']", pattern_type: 'stix', valid_from: '2020-01-02T00:00:00Z' };
  const bundle = (o: Record<string, unknown>) => ({ type: 'bundle', id: 'bundle--2a25c3c8-5d88-4ae9-862a-cc3396442317', objects: [{ ...base, ...o }] });
  const rejects = (o: Record<string, unknown>, code: string, msg: RegExp) => {
    let err: unknown;
    try {
      importBundle(bundle(o));
    } catch (e) {
      err = e;
    }
    expect(err, JSON.stringify(o)).toBeInstanceOf(StixImportError);
    expect((err as StixImportError).code).toBe(code);
    expect((err as Error).message).toMatch(msg);
  };
  it('refuses modified < created, valid_until <= valid_from, last_seen < first_seen, and an unterminated pattern', () => {
    rejects({ modified: '2020-01-01T23:59:59.999Z' }, 'invalid_object', /modified .* before created/);
    rejects({ valid_until: '2020-01-01T00:00:00Z' }, 'invalid_object', /valid_until .* before valid_from/);
    rejects({ valid_until: '2020-01-02T00:00:00.000Z' }, 'invalid_object', /valid_until .* not after valid_from/);
    rejects({ pattern: "[email-addr:value = 'a@b.example" }, 'bad_pattern', /unterminated string/);
    rejects({ type: 'threat-actor', id: 'threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', name: 'x', first_seen: '2020-02-01T00:00:00Z', last_seen: '2020-01-01T00:00:00Z' }, 'invalid_object', /last_seen .* before first_seen/);
  });
  it('accepts equal created/modified, sub-millisecond order, and patterns of other languages unparsed', () => {
    expect(importBundle(bundle({ modified: '2020-01-02T00:00:00.0000001Z' })).objects).toHaveLength(1);
    expect(importBundle(bundle({ pattern_type: 'sigma', pattern: 'title: not stix' })).objects).toHaveLength(1);
  });
});
