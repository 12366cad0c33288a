// The adapters of the five simulated market designs. A sim market's hosts are its v3 onion name, which no
// adapter can know in advance: the market row's `adapter` column names the adapter (`simAdapterFor(design).id`).
import type { Adapter } from '../adapter/types.ts';
import { simCardsAdapter } from './sim-cards.ts';
import { SIM_DESIGNS, type SimDesign } from './sim-common.ts';
import { simForumAdapter } from './sim-forum.ts';
import { simListAdapter } from './sim-list.ts';
import { simShopAdapter } from './sim-shop.ts';
import { simTableAdapter } from './sim-table.ts';

export { SIM_DESIGNS, type SimDesign };
export { simCardsAdapter, simForumAdapter, simListAdapter, simShopAdapter, simTableAdapter };

const BY_DESIGN: Record<SimDesign, Adapter> = {
  table: simTableAdapter,
  cards: simCardsAdapter,
  list: simListAdapter,
  forum: simForumAdapter,
  shop: simShopAdapter,
};

export const SIM_ADAPTERS: readonly Adapter[] = SIM_DESIGNS.map((d) => BY_DESIGN[d]);

/** The adapter of a sim market design ('table' → 'sim-table', …); throws on an unknown design. */
export function simAdapterFor(design: string): Adapter {
  const a = (BY_DESIGN as Record<string, Adapter | undefined>)[design];
  if (!a) throw new Error(`no sim adapter for design ${JSON.stringify(design)} (designs: ${SIM_DESIGNS.join(', ')})`);
  return a;
}
