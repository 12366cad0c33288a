import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exportKeyPairJwk, exportKeyPairPem, exportPublicKeyJwk, generateAgencyKeyPair } from '../../exchange/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit } from '../output.ts';

export function register(program: Command): void {
  const keys = commandGroup(program, 'keys', 'Ed25519 signing keys for intelligence packages');

  keys
    .command('generate')
    .description('make an agency signing key pair: <AGENCY>.private.jwk (mode 0600, keep it secret) and <AGENCY>.public.jwk / .public.pem (give these to partners)')
    .requiredOption('--agency <code>', 'the agency the key speaks for, e.g. NL-POL (packages name it as producer)')
    .requiredOption('--out <dir>', 'directory to write the key files to (created with mode 0700 if missing)')
    .option('--json', 'machine-readable output')
    .action((opts: { agency: string; out: string; json?: boolean }) => {
      const agency = opts.agency.toUpperCase();
      if (!/^[A-Z0-9][A-Z0-9_-]{1,31}$/.test(agency)) throw new UserError(`--agency "${opts.agency}" must be an agency code (2-32 characters of A-Z, 0-9, - and _)`);
      const files = {
        privateJwk: path.join(opts.out, `${agency}.private.jwk`),
        publicJwk: path.join(opts.out, `${agency}.public.jwk`),
        publicPem: path.join(opts.out, `${agency}.public.pem`),
      };
      for (const f of Object.values(files)) if (existsSync(f)) throw new UserError(`${f} already exists; refusing to overwrite a key`);
      mkdirSync(opts.out, { recursive: true, mode: 0o700 });
      const key = generateAgencyKeyPair(agency);
      // 'wx': fail rather than follow a file created meanwhile; mode applies on creation, chmod covers a umask.
      writeFileSync(files.privateJwk, `${JSON.stringify(exportKeyPairJwk(key), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(files.privateJwk, 0o600);
      writeFileSync(files.publicJwk, `${JSON.stringify(exportPublicKeyJwk(key), null, 2)}\n`, { mode: 0o644, flag: 'wx' });
      writeFileSync(files.publicPem, exportKeyPairPem(key).publicKeyPem, { mode: 0o644, flag: 'wx' });
      emit(opts.json ?? false, { agency, keyId: key.keyId, ...files }, () =>
        [`generated Ed25519 key ${key.keyId} for ${agency}`, `private (0600, keep secret): ${files.privateJwk}`, `public (share with partners): ${files.publicJwk}, ${files.publicPem}`].join('\n'),
      );
    });
}
