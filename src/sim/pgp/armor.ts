// ASCII armor (RFC 4880 §6): base64 in 64-char lines and a CRC-24 checksum line.

export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

export function armor(kind: 'PUBLIC KEY BLOCK', data: Uint8Array): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  const c = crc24(data);
  const crc = Buffer.from([(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]).toString('base64');
  return `-----BEGIN PGP ${kind}-----\n\n${lines.join('\n')}\n=${crc}\n-----END PGP ${kind}-----\n`;
}
