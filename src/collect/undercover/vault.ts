// The vault of undercover secrets: AES-256-GCM under a key derived (scrypt) from a passphrase that only the
// environment holds. The database keeps the KDF parameters and a check value (an encryption of a constant), never
// the key or the passphrase, so a copy of the database alone reveals no password and no PGP private key.
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

export const VAULT_ENV = 'DARKPATROL_VAULT_PASSPHRASE';
export const VAULT_FILE_ENV = 'DARKPATROL_VAULT_PASSPHRASE_FILE';
const MIN_PASSPHRASE = 12;
const CHECK_TEXT = Buffer.from('darkpatrol undercover vault check v1', 'utf8');
const FORMAT = 1;

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

interface KdfParams {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

/** The passphrase from $DARKPATROL_VAULT_PASSPHRASE or the file named by $DARKPATROL_VAULT_PASSPHRASE_FILE (an OS secret). */
export function vaultPassphrase(env: NodeJS.ProcessEnv = process.env): string {
  let value = env[VAULT_ENV];
  const file = env[VAULT_FILE_ENV];
  if (!value && file) {
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new VaultError(`cannot read the vault passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (!value) throw new VaultError(`the undercover vault is locked: set ${VAULT_ENV} (or ${VAULT_FILE_ENV} to a file holding it)`);
  if (value.length < MIN_PASSPHRASE) throw new VaultError(`the vault passphrase must have at least ${MIN_PASSPHRASE} characters`);
  return value;
}

function derive(passphrase: string, k: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(passphrase.normalize('NFC'), Buffer.from(k.salt, 'base64'), 32, { N: k.N, r: k.r, p: k.p, maxmem: 256 * k.N * k.r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function seal(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), iv, c.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 29 || sealed[0] !== FORMAT) throw new VaultError('vault ciphertext has an unknown format');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(13, 29));
  try {
    return Buffer.concat([d.update(sealed.subarray(29)), d.final()]);
  } catch {
    throw new VaultError('vault ciphertext does not decrypt with this passphrase (wrong passphrase, or the row was altered or moved)');
  }
}

/** An unlocked vault: the derived key of the current vault_keys row (created with the first passphrase given). */
export class Vault {
  readonly keyId: string;
  readonly #keys: Map<string, Buffer>;

  private constructor(keyId: string, keys: Map<string, Buffer>) {
    this.keyId = keyId;
    this.#keys = keys;
  }

  /**
   * Unlocks the vault with a passphrase. The first unlock of a database creates its key row (scrypt parameters and
   * check value); later unlocks must give the same passphrase, or they fail without touching anything.
   */
  static async unlock(db: Kysely<Database>, passphrase: string, o: { scryptN?: number } = {}): Promise<Vault> {
    const rows = await db.selectFrom('vault_keys').selectAll().orderBy('created_at').execute();
    const keys = new Map<string, Buffer>();
    for (const row of rows) {
      const key = await derive(passphrase, row.kdf as unknown as KdfParams);
      try {
        const check = open(key, Buffer.from(row.check_value), `vault-check/${row.id}`);
        if (check.length === CHECK_TEXT.length && timingSafeEqual(check, CHECK_TEXT)) keys.set(row.id, key);
      } catch {
        // not this passphrase's key
      }
    }
    if (rows.length > 0 && keys.size === 0) throw new VaultError('wrong vault passphrase (it does not open any vault key of this database)');
    if (keys.size > 0) return new Vault([...keys.keys()].at(-1) as string, keys);
    const kdf: KdfParams = { alg: 'scrypt', N: o.scryptN ?? 2 ** 15, r: 8, p: 1, salt: randomBytes(16).toString('base64') };
    const id = `vk-${randomBytes(8).toString('hex')}`;
    const key = await derive(passphrase, kdf);
    await db.insertInto('vault_keys').values({ id, kdf: JSON.stringify(kdf), check_value: seal(key, CHECK_TEXT, `vault-check/${id}`) }).execute();
    return new Vault(id, new Map([[id, key]]));
  }

  /** Encrypts a JSON value; `aad` binds it to its row (a ciphertext moved to another row no longer opens). */
  encrypt(value: unknown, aad: string): Buffer {
    return seal(this.#key(this.keyId), Buffer.from(JSON.stringify(value), 'utf8'), aad);
  }

  decrypt<T>(sealed: Buffer, keyId: string, aad: string): T {
    return JSON.parse(open(this.#key(keyId), Buffer.from(sealed), aad).toString('utf8')) as T;
  }

  #key(id: string): Buffer {
    const k = this.#keys.get(id);
    if (!k) throw new VaultError(`vault key ${id} is not opened by this passphrase`);
    return k;
  }
}
