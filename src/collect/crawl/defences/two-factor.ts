// PGP two-factor login: the market encrypts a one-time code to the key the account registered; the crawler decrypts
// it with the account's private key from the vault and types the code back, as the undercover officer would.
import { decrypt, decryptKey, readMessage, readPrivateKey } from 'openpgp';
import type { UndercoverSecrets } from '../../undercover/accounts.ts';
import { StopCrawl } from '../types.ts';

/** The one-time code inside a decrypted challenge ("… enter this code: K7PQ…", or a code alone on its line). */
export function codeInChallenge(text: string): string | undefined {
  const labelled = /\b(?:code|token|pin|otp)\b[^\n:]{0,40}:\s*([A-Za-z0-9-]{4,64})\b/i.exec(text)?.[1];
  if (labelled) return labelled;
  return text.split(/\r?\n/).map((l) => l.trim()).find((l) => /^[A-Za-z0-9-]{6,64}$/.test(l) && /\d/.test(l));
}

/** Decrypts the challenge with the account's key and returns the code (never logged, never stored). */
export async function answerChallenge(armoredMessage: string, secrets: UndercoverSecrets | undefined, who: string): Promise<string> {
  if (!secrets?.pgpPrivateKey) throw new StopCrawl('login-failed', `${who}: the market asks a PGP two-factor code and the account has no PGP private key in the vault`);
  let key = await readPrivateKey({ armoredKey: secrets.pgpPrivateKey });
  if (!key.isDecrypted()) {
    if (!secrets.pgpPassphrase) throw new StopCrawl('login-failed', `${who}: the account's PGP key is protected and the vault has no passphrase for it`);
    key = await decryptKey({ privateKey: key, passphrase: secrets.pgpPassphrase });
  }
  let text: string;
  try {
    const { data } = await decrypt({ message: await readMessage({ armoredMessage }), decryptionKeys: key });
    text = String(data);
  } catch (err) {
    throw new StopCrawl('login-failed', `${who}: the two-factor challenge does not decrypt with the account's key (${(err as Error).message.slice(0, 100)})`);
  }
  const code = codeInChallenge(text);
  if (!code) throw new StopCrawl('login-failed', `${who}: no code found in the decrypted two-factor challenge`);
  return code;
}
