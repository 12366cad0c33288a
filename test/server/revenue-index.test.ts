import { describe, expect, it } from 'vitest';
import { selectSales, type ObservedSale } from '../../src/analyse/index.ts';
import { salesOfVendors } from '../../src/server/services/revenue.ts';

const sale = (i: number, vendorId: number | null): ObservedSale => ({
  feedbackId: i,
  source: 'feedback',
  at: new Date(Date.UTC(2025, i % 12, 1 + (i % 28))),
  vendorId,
  identityId: null,
  marketId: 1 + (i % 3),
  listingId: i,
  substanceClass: null,
  substance: null,
  shipsFrom: null,
  month: '2025-01',
  priceUsd: 10 + i,
  holding: false,
});

describe('salesOfVendors (the profile reads its own sales through a per-account index)', () => {
  // Vendors interleaved, some sales without a vendor: the index must give selectSales' answer, same order.
  const all = Array.from({ length: 500 }, (_, i) => sale(i, i % 17 === 0 ? null : 1 + ((i * 7) % 23)));

  it('gives the same sales in the same order as selectSales, for one account, several, repeated and unknown ones', () => {
    for (const ids of [[1], [5], [23], [99], [3, 1], [1, 3, 3, 7], [], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]]) {
      expect(salesOfVendors(all, ids)).toEqual(selectSales(all, { vendorIds: ids }));
    }
  });

  it('indexes each result on its own (a refreshed computation is a new array)', () => {
    const other = all.slice(0, 100).map((s) => ({ ...s, vendorId: s.vendorId === null ? null : s.vendorId + 1 }));
    expect(salesOfVendors(all, [2])).toEqual(selectSales(all, { vendorIds: [2] }));
    expect(salesOfVendors(other, [2])).toEqual(selectSales(other, { vendorIds: [2] }));
  });
});
