// PGP two-factor login: after the password (and CAPTCHA) an account that enabled it is shown a message encrypted to
// its registered public key; the user decrypts it and types back the code inside. Encryption is real OpenPGP
// (openpgp.js), so any OpenPGP implementation holding the account's secret key can answer.
import { createMessage, encrypt, readKey } from 'openpgp';
import type { MarketDesign, SimMarket } from '../../world/index.ts';
import type { Rng } from '../../world/index.ts';
import { h, page } from '../html.ts';
import { accountTwoFactorKey } from './keys.ts';

/** Where each design asks for the code, and the field it posts. */
export const TWO_FACTOR_FORMS: Record<MarketDesign, { path: string; field: string }> = {
  table: { path: '/2fa', field: 'code' },
  cards: { path: '/login/verify', field: 'token' },
  list: { path: '/auth/pgp', field: 'pgp_code' },
  forum: { path: '/ucp.php?mode=pgp_verify', field: 'twofa' },
  shop: { path: '/account/verify', field: 'verification' },
};

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const MAX_TWO_FACTOR_ATTEMPTS = 3;

export function twoFactorCode(rng: Rng): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += rng.pick([...CODE_ALPHABET]);
  return code;
}

/** The challenge text, encrypted to the account's key (ASCII-armored PGP MESSAGE). */
export async function twoFactorChallenge(market: SimMarket, username: string, code: string): Promise<string> {
  const key = await readKey({ armoredKey: accountTwoFactorKey(market, username).armored });
  const text = `Hello ${username},\n\nTo finish logging in to ${market.name}, enter this code: ${code}\n\nThe code is valid for 10 minutes and for this login only.\nIf you did not try to log in, change your password now.\n`;
  return (await encrypt({ message: await createMessage({ text }), encryptionKeys: key, format: 'armored' })) as string;
}

export function twoFactorPage(market: SimMarket, p: { action: string; field: string; csrfField: string; csrf: string; message: string; error?: string }): string {
  return page({
    title: `${market.name} - Two-Factor Authentication`,
    body: `<div class="login twofactor">
<h2>Two-Factor Authentication</h2>
${p.error ? `<p class="error">${h(p.error)}</p>\n` : ''}<p>Your account has PGP two-factor authentication enabled. Decrypt the message below with your private key and enter the code it contains.</p>
<form method="post" action="${h(p.action)}">
<input type="hidden" name="${h(p.csrfField)}" value="${h(p.csrf)}">
<textarea readonly rows="16" cols="70" class="pgp-challenge">${h(p.message)}</textarea>
<div><label for="${h(p.field)}">Decrypted code</label> <input type="text" id="${h(p.field)}" name="${h(p.field)}" autocomplete="off"></div>
<input type="submit" value="Verify">
</form>
</div>`,
  });
}
