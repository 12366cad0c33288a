// PGP public key blocks as market profile pages show them, with the damage real markets do to them.
import { pgpKey } from '../pgp/index.ts';
import type { SimPgpKey } from '../world/index.ts';
import { h, entityInside } from './html.ts';

/**
 * - clean: a `<pre>` block exactly as exported.
 * - br-entities: Agora style: lines joined by `<br/>`, a "Version:" armor header with a character of a word
 *   written as an entity (`&#86;ersion`, `GNU/&#76;inux`).
 * - no-blank: the blank line after the armor header is dropped (a broken armor an extractor must repair).
 * - entities-in-pre: in a `<pre>`, with entities inside words of the header and armor lines (`Ve&#114;sion`).
 */
export type PgpDamage = 'clean' | 'br-entities' | 'no-blank' | 'entities-in-pre';

const VERSION_HEADERS = ['GnuPG v1.4.12 (GNU/Linux)', 'GnuPG v2', 'GnuPG v1', 'BCPG v1.47', 'GnuPG v2.0.22 (MingW32)'];

export function armoredKey(key: SimPgpKey): string {
  return pgpKey({ seed: key.seed, created: key.created, userId: key.userId, encryptionSubkey: key.hasEncryptionSubkey }).armored;
}

function versionHeaderFor(key: SimPgpKey): string {
  const n = parseInt(key.fingerprint.slice(-2), 16);
  return VERSION_HEADERS[n % VERSION_HEADERS.length] ?? 'GnuPG v2';
}

/** The armored key with a "Version:" header inserted, as most keys on 2014–2020 markets carried. */
function withVersion(armored: string, key: SimPgpKey): string[] {
  const lines = armored.trimEnd().split('\n');
  // lines[0] = BEGIN, lines[1] = '' (end of headers)
  return [lines[0] ?? '', `Version: ${versionHeaderFor(key)}`, ...lines.slice(1)];
}

export function renderPgpBlock(key: SimPgpKey, damage: PgpDamage): string {
  const armored = armoredKey(key);
  switch (damage) {
    case 'clean':
      return `<pre class="pgp">${h(armored.trimEnd())}</pre>`;
    case 'br-entities': {
      const lines = withVersion(armored, key).map((line) => {
        if (line.startsWith('Version: ')) {
          const value = line.slice('Version: '.length).replace('Linux', '&#76;inux');
          return `${entityInside('Version', 0)}: ${value.includes('&#') ? value : h(value)}`;
        }
        return h(line);
      });
      return lines.join('<br/>');
    }
    case 'no-blank': {
      const lines = withVersion(armored, key).filter((line, i) => !(i === 2 && line === ''));
      return `<textarea class="pgp" rows="12" cols="66" readonly>${h(lines.join('\n'))}</textarea>`;
    }
    case 'entities-in-pre': {
      const lines = withVersion(armored, key).map((line) => {
        if (line.startsWith('Version: ')) return `${entityInside('Version', 2)}: ${h(line.slice(9))}`;
        if (line.startsWith('-----BEGIN')) return line.replace('PUBLIC', `P&#85;BLIC`);
        return h(line);
      });
      return `<pre class="pgp">${lines.join('\n')}</pre>`;
    }
  }
}
