/** Real GnuPG keys for tests: a throwaway GNUPGHOME, keys made by gpg itself, cleaned up with its agent. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpgHome {
  gpg(args: string[], input?: string): string;
  /** Makes a key (primary `algo` for signing, a `subAlgo` encryption subkey) and returns its armor and fingerprint. */
  makeKey(uid: string, algo?: string, subAlgo?: string): { armored: string; fingerprint: string; subkeys: string[] };
  close(): void;
}

export function openGpgHome(): GpgHome {
  const home = mkdtempSync(join(tmpdir(), 'dp-gpg-'));
  const env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
  const gpg = (args: string[], input?: string): string =>
    execFileSync('gpg', ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  const fprs = (out: string, type: 'pub' | 'sub'): string[] => {
    const res: string[] = [];
    let last = '';
    for (const line of out.split('\n')) {
      const f = line.split(':');
      if (f[0] === 'pub' || f[0] === 'sub') last = f[0];
      else if (f[0] === 'fpr' && last === type) res.push(f[9] ?? '');
    }
    return res;
  };
  return {
    gpg,
    makeKey(uid, algo = 'ed25519', subAlgo = 'cv25519') {
      gpg(['--quick-gen-key', uid, algo, 'sign', 'never']);
      const listed = gpg(['--with-colons', '--list-keys', uid]);
      const fingerprint = fprs(listed, 'pub')[0];
      if (!fingerprint) throw new Error('gpg did not create a key');
      gpg(['--quick-add-key', fingerprint, subAlgo, 'encr', 'never']);
      const armored = gpg(['--armor', '--export', fingerprint]);
      return { armored, fingerprint, subkeys: fprs(gpg(['--with-colons', '--list-keys', fingerprint]), 'sub') };
    },
    close() {
      try {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
      } catch {
        // no agent was started
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
