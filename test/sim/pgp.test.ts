import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { buildPgpKey, buildPgpSecretKey, crc24, pgpFingerprint } from '../../src/sim/pgp/index.ts';

const specs = [
  { seed: '00ff11ee', created: 1_700_000_000, userId: 'frosty <frosty@cock.li>', encryptionSubkey: true },
  { seed: 'deadbeef', created: 1_735_689_600, userId: 'DrGreenThumb', encryptionSubkey: false },
  { seed: 'c0ffee00', created: 1_600_000_123, userId: 'Ünïcødé vendor 💊 <x@protonmail.com>', encryptionSubkey: true },
];

const hasGpg = spawnSync('gpg', ['--version']).status === 0;

describe('deterministic OpenPGP keys', () => {
  it('are byte-identical for the same spec and differ across seeds', () => {
    const spec = specs[0]!;
    expect(buildPgpKey(spec).armored).toBe(buildPgpKey(spec).armored);
    expect(buildPgpKey(spec).fingerprint).not.toBe(buildPgpKey({ ...spec, seed: '00ff11ef' }).fingerprint);
    expect(pgpFingerprint(spec)).toBe(buildPgpKey(spec).fingerprint);
  });

  it('computes the RFC 4880 CRC-24 test value', () => {
    // CRC-24 of "123456789" with the OpenPGP parameters is 0x21CF02.
    expect(crc24(new TextEncoder().encode('123456789'))).toBe(0x21cf02);
  });

  it.each(specs)('openpgp.js parses $userId and verifies its self-signatures', async (spec) => {
    const built = buildPgpKey(spec);
    const key = await openpgp.readKey({ armoredKey: built.armored });
    expect(key.getFingerprint().toUpperCase()).toBe(built.fingerprint);
    expect(key.getKeyID().toHex().toUpperCase()).toBe(built.keyId);
    await expect(key.verifyPrimaryKey()).resolves.toBeUndefined();
    expect(await key.users[0]!.verify()).toBe(true);
    expect(key.getUserIDs()).toEqual([spec.userId]);
    expect(key.getAlgorithmInfo()).toMatchObject({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    if (spec.encryptionSubkey) {
      const enc = await key.getEncryptionKey();
      expect(enc.getFingerprint().toUpperCase()).toBe(built.subkeyFingerprint);
      // The subkey really works: encrypt a message to it.
      const msg = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'hi' }), encryptionKeys: key });
      expect(msg).toContain('BEGIN PGP MESSAGE');
    } else {
      expect(key.subkeys).toHaveLength(0);
    }
  });

  it.skipIf(!hasGpg)(`GnuPG reports the same fingerprints and good signatures${hasGpg ? '' : ' (skipped: gpg not installed)'}`, () => {
    const home = mkdtempSync(join(tmpdir(), 'dp-gnupg-'));
    try {
      for (const spec of specs) {
        const built = buildPgpKey(spec);
        const file = join(home, 'key.asc');
        writeFileSync(file, built.armored);
        const colons = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--import-options',
          'show-only', '--import', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        const fprs = colons.split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9]);
        expect(fprs[0]).toBe(built.fingerprint);
        if (spec.encryptionSubkey) expect(fprs[1]).toBe(built.subkeyFingerprint);
        const pub = colons.split('\n').find((l) => l.startsWith('pub:'))!.split(':');
        expect(pub[3]).toBe('22'); // EdDSA
        expect(pub[5]).toBe(String(spec.created));
        execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--import', file], { stdio: 'ignore' });
        const check = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--check-sigs',
          built.fingerprint], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        const sigs = check.split('\n').filter((l) => l.startsWith('sig:'));
        expect(sigs.length).toBe(spec.encryptionSubkey ? 2 : 1);
        // Field 2 is '!' for a signature GnuPG checked and found good.
        for (const s of sigs) expect(s.split(':')[1]).toBe('!');
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('deterministic OpenPGP secret keys (market signing keys, two-factor keys)', () => {
  const spec = specs[0]!;

  it('are the secret half of the same public key; openpgp.js decrypts and signs with them', async () => {
    const built = buildPgpSecretKey(spec);
    expect(built.armored).toBe(buildPgpKey(spec).armored);
    expect(buildPgpSecretKey(spec).secretArmored).toBe(built.secretArmored);
    const priv = await openpgp.readPrivateKey({ armoredKey: built.secretArmored });
    expect(priv.isDecrypted()).toBe(true);
    expect(priv.getFingerprint().toUpperCase()).toBe(built.fingerprint);
    const pub = await openpgp.readKey({ armoredKey: built.armored });
    const msg = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'code 42' }), encryptionKeys: pub });
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: msg as string }), decryptionKeys: priv });
    expect(data).toBe('code 42');
  });

  it.skipIf(!hasGpg)(`GnuPG imports them, decrypts what openpgp.js encrypted and verifies what it signed${hasGpg ? '' : ' (skipped)'}`, async () => {
    const built = buildPgpSecretKey(spec);
    const home = mkdtempSync(join(tmpdir(), 'dp-gnupg-'));
    try {
      writeFileSync(join(home, 'sec.asc'), built.secretArmored);
      execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--import', join(home, 'sec.asc')], { stdio: 'ignore' });
      const secret = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--list-secret-keys'], { encoding: 'utf8' });
      expect(secret.split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9])).toEqual([built.fingerprint, built.subkeyFingerprint]);
      const pub = await openpgp.readKey({ armoredKey: built.armored });
      writeFileSync(join(home, 'msg.asc'), (await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'two-factor code K7P2Q' }), encryptionKeys: pub })) as string);
      const plain = execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--decrypt', join(home, 'msg.asc')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(plain).toBe('two-factor code K7P2Q');
      const priv = await openpgp.readPrivateKey({ armoredKey: built.secretArmored });
      writeFileSync(join(home, 'list.asc'), await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: 'http://example.onion' }), signingKeys: priv, config: { nonDeterministicSignaturesViaNotation: false } }));
      const status = execFileSync('gpg', ['--homedir', home, '--batch', '--status-fd', '1', '--verify', join(home, 'list.asc')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(status).toContain(`VALIDSIG ${built.fingerprint}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('PGP keys of a generated world', () => {
  it('rebuild to their recorded fingerprints, parse in openpgp.js and match GnuPG', async () => {
    const { generateWorld, armoredKeyOf } = await import('../../src/sim/world/index.ts');
    const world = generateWorld({ seed: 'pgp-world', scale: 'tiny' });
    const keys = world.identities.flatMap((i) => i.pgpKeys);
    expect(keys.length).toBeGreaterThan(world.identities.length);
    expect(keys.some((k) => k.email)).toBe(true);
    const armored = keys.map((k) => armoredKeyOf(k));
    for (const [i, k] of keys.entries()) {
      const parsed = await openpgp.readKey({ armoredKey: armored[i]! });
      expect(parsed.getFingerprint().toUpperCase()).toBe(k.fingerprint);
      expect(parsed.getUserIDs()).toEqual([k.userId]);
      expect(parsed.getCreationTime().getTime() / 1000).toBe(k.created);
    }
    if (!hasGpg) return;
    const home = mkdtempSync(join(tmpdir(), 'dp-gnupg-'));
    try {
      const file = join(home, 'all.asc');
      writeFileSync(file, armored.join(''));
      const colons = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--import-options', 'show-only',
        '--import', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // The primary fingerprint is the first fpr line after each pub line.
      const lines = colons.split('\n');
      const primaries = lines.flatMap((l, i) => (l.startsWith('pub:') ? [lines[i + 1]!.split(':')[9]] : []));
      expect(primaries).toEqual(keys.map((k) => k.fingerprint));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
