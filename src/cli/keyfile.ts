/** Reading agency signing keys and signed documents from files for the exchange commands. */
import { readFileSync, statSync } from 'node:fs';
import { importJwk, importPrivateKeyPem, importPublicKeyPem, isKeyPair, KeyFormatError, publicPart } from '../exchange/index.ts';
import type { AgencyKeyPair, AgencyPublicKey } from '../exchange/index.ts';
import { UserError } from './errors.ts';

function readText(file: string, what: string, maxBytes: number): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UserError(`${what} ${file} does not exist`);
  }
  if (size > maxBytes) throw new UserError(`${what} ${file} is ${size} bytes, more than ${maxBytes}`);
  return readFileSync(file, 'utf8');
}

function readKey(file: string, agency: string | undefined, kind: 'private' | 'public'): AgencyKeyPair | AgencyPublicKey {
  const text = readText(file, `${kind} key`, 64 * 1024);
  try {
    if (text.includes('-----BEGIN')) {
      if (!agency) throw new UserError(`${file} is a PEM key: give --agency <code> (the agency it speaks for), or use the JWK file from \`darkpatrol keys generate\``);
      return kind === 'private' ? importPrivateKeyPem(text, agency) : importPublicKeyPem(text, agency);
    }
    return importJwk(text);
  } catch (e) {
    if (e instanceof KeyFormatError) throw new UserError(`${file}: ${e.message}`);
    throw e;
  }
}

/** A private key (JWK from `keys generate`, or PKCS#8 PEM with the agency given). */
export function readPrivateKey(file: string, agency?: string): AgencyKeyPair {
  const k = readKey(file, agency, 'private');
  if (!isKeyPair(k)) throw new UserError(`${file} holds a public key only; --key needs the private key file`);
  return k;
}

/** Public keys to trust (a private key file is accepted and reduced to its public part). */
export function readTrustedKeys(files: readonly string[], agency?: string): AgencyPublicKey[] {
  if (files.length === 0) throw new UserError('give at least one --trust <public key file>');
  return files.map((f) => publicPart(readKey(f, agency, 'public')));
}

/** A JSON document (package, index) of at most `maxBytes`. */
export function readJsonFile(file: string, what: string, maxBytes = 64 * 1024 * 1024): { text: string; json: unknown } {
  const text = readText(file, what, maxBytes);
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch (e) {
    throw new UserError(`${file} is not JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}
