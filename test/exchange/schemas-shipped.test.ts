import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSchemaDir, validateBundle } from '../../src/exchange/index.ts';

const SHIPPED = resolve(import.meta.dirname, '../../vendor/oasis-stix2.1-json-schemas/schemas');
const CONFORMANCE = resolve(import.meta.dirname, '../../../shared/conformance/stix2.1-json-schemas/schemas');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

describe('the OASIS schemas ship inside the repository', () => {
  it('validateBundle reads the shipped copy by default, without ../shared/conformance', () => {
    expect(resolve(defaultSchemaDir())).toBe(SHIPPED);
    const r = validateBundle({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: [{ type: 'email-addr', spec_version: '2.1', id: 'email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3', value: 'a@b.example' }] });
    expect(r).toEqual({ valid: true, errors: [] });
  });

  it.runIf(existsSync(CONFORMANCE))('the shipped copy is byte for byte the conformance copy', () => {
    const ours = files(SHIPPED).map((f) => relative(SHIPPED, f)).sort();
    expect(ours).toEqual(files(CONFORMANCE).map((f) => relative(CONFORMANCE, f)).sort());
    for (const f of ours) expect(readFileSync(join(SHIPPED, f)).equals(readFileSync(join(CONFORMANCE, f))), f).toBe(true);
  });
});
