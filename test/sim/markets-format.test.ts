import { describe, expect, it } from 'vitest';
import { formatPrice, maskBuyer } from '../../src/sim/markets/index.ts';
import { entityInside, h } from '../../src/sim/markets/html.ts';

describe('price notations per design', () => {
  it('writes the brief’s formats and never rounds away a decimal', () => {
    expect(formatPrice('BTC', 0.0123, 'table')).toBe('0.0123 BTC');
    expect(formatPrice('BTC', 0.01234567, 'table')).toBe('0.01234567 BTC');
    expect(formatPrice('BTC', 1.5, 'table')).toBe('1.5000 BTC');
    expect(formatPrice('BTC', 0.0123, 'forum')).toBe('฿0.01230000');
    expect(formatPrice('BTC', 0.0123, 'list')).toBe('BTC 0.01230000');
    expect(formatPrice('USD', 1234.5, 'cards')).toBe('$1,234.50');
    expect(formatPrice('USD', 1234567.5, 'table')).toBe('$1,234,567.50');
    expect(formatPrice('USD', 1234.5, 'shop')).toBe('USD 1234.50');
    expect(formatPrice('USD', 1234.5, 'list')).toBe('1234.50 USD');
    expect(formatPrice('XMR', 1.234567, 'list')).toBe('1.234567 XMR');
    expect(formatPrice('XMR', 1.234567, 'forum')).toBe('XMR 1.234567');
    expect(formatPrice('XMR', 1.234567, 'cards')).toBe('ɱ1.234567');
  });

  it('masks buyers and escapes text; entities land inside words', () => {
    expect(maskBuyer('bluebird')).toBe('b***d');
    expect(maskBuyer('x')).toBe('x***');
    expect(h('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(entityInside('Version', 0)).toBe('&#86;ersion');
    expect(entityInside('Version', 2)).toBe('Ve&#114;sion');
  });
});
