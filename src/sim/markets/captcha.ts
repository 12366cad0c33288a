// Image CAPTCHAs: a seeded text drawn with a 5×7 bitmap font into a PNG, with jitter, noise and strike lines.
// Readable by a person (the crawler hands CAPTCHAs to a human), not meant to resist OCR research.
import { PNG } from 'pngjs';
import { Rng } from '../world/index.ts';

/** Unambiguous characters only (no I/1/L/O/0). */
export const CAPTCHA_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

const FONT: Record<string, string[]> = {
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  B: ['11110', '10001', '10001', '11110', '10001', '10001', '11110'],
  C: ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
  D: ['11110', '10001', '10001', '10001', '10001', '10001', '11110'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  F: ['11111', '10000', '10000', '11110', '10000', '10000', '10000'],
  G: ['01110', '10001', '10000', '10111', '10001', '10001', '01111'],
  H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
  J: ['00111', '00010', '00010', '00010', '00010', '10010', '01100'],
  K: ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  N: ['10001', '11001', '10101', '10011', '10001', '10001', '10001'],
  P: ['11110', '10001', '10001', '11110', '10000', '10000', '10000'],
  Q: ['01110', '10001', '10001', '10001', '10101', '10010', '01101'],
  R: ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
  V: ['10001', '10001', '10001', '10001', '10001', '01010', '00100'],
  W: ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
  X: ['10001', '10001', '01010', '00100', '01010', '10001', '10001'],
  Y: ['10001', '10001', '01010', '00100', '00100', '00100', '00100'],
  Z: ['11111', '00001', '00010', '00100', '01000', '10000', '11111'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['11111', '00010', '00100', '00010', '00001', '10001', '01110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
};

export function captchaText(rng: Rng, length = 6): string {
  let text = '';
  for (let i = 0; i < length; i++) text += rng.pick([...CAPTCHA_ALPHABET]);
  return text;
}

/** Renders `text` as a PNG; the same text and seed give the same bytes. */
export function renderCaptchaPng(text: string, seed: string): Buffer {
  const rng = new Rng(`captcha-image/${seed}/${text}`);
  const scale = 5;
  const cell = 6 * scale + 4;
  const width = 16 + text.length * cell;
  const height = 7 * scale + 24;
  const png = new PNG({ width, height, colorType: 2, inputHasAlpha: false });
  const set = (x: number, y: number, r: number, g: number, b: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 4;
    png.data[i] = r;
    png.data[i + 1] = g;
    png.data[i + 2] = b;
    png.data[i + 3] = 255;
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const shade = 225 + rng.int(0, 30);
    set(x, y, shade, shade, shade - rng.int(0, 20));
  }
  [...text].forEach((ch, index) => {
    const glyph = FONT[ch];
    if (!glyph) throw new Error(`CAPTCHA font has no glyph for ${JSON.stringify(ch)}`);
    const ox = 8 + index * cell + rng.int(-2, 2);
    const oy = 12 + rng.int(-6, 6);
    const slant = rng.float(-0.15, 0.15);
    const [r, g, b] = [rng.int(0, 90), rng.int(0, 90), rng.int(30, 120)];
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < 5; gx++) {
        if (row[gx] !== '1') continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) {
          const y = oy + gy * scale + dy;
          set(ox + gx * scale + dx + Math.round(slant * (y - oy - 17)), y, r, g, b);
        }
      }
    });
  });
  for (let n = 0; n < 3; n++) {
    let y = rng.float(8, height - 8);
    const dy = rng.float(-0.3, 0.3);
    const [r, g, b] = [rng.int(60, 160), rng.int(60, 160), rng.int(60, 160)];
    for (let x = 0; x < width; x++, y += dy) set(x, Math.round(y), r, g, b);
  }
  for (let n = 0; n < width * height * 0.04; n++) {
    const v = rng.int(0, 200);
    set(rng.int(0, width - 1), rng.int(0, height - 1), v, v, v);
  }
  return PNG.sync.write(png, { colorType: 2 });
}
