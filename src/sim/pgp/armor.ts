import { crc24 } from '../../domain/crc24.ts';
// ASCII armor (RFC 4880 §6): base64 in 64-char lines and a CRC-24 checksum line.

export { crc24 } from '../../domain/crc24.ts';

export function armor(kind: 'PUBLIC KEY BLOCK' | 'PRIVATE KEY BLOCK', data: Uint8Array): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  const c = crc24(data);
  const crc = Buffer.from([(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]).toString('base64');
  return `-----BEGIN PGP ${kind}-----\n\n${lines.join('\n')}\n=${crc}\n-----END PGP ${kind}-----\n`;
}
