import type { MarketDesign } from '../../world/index.ts';
import { cardsDesign } from './cards.ts';
import { forumDesign } from './forum.ts';
import { listDesign } from './list.ts';
import { shopDesign } from './shop.ts';
import { tableDesign } from './table.ts';
import type { Design } from './types.ts';

export const DESIGNS: Record<MarketDesign, Design> = {
  table: tableDesign,
  cards: cardsDesign,
  list: listDesign,
  forum: forumDesign,
  shop: shopDesign,
};

export type { Design, LoginFormArgs, RenderContext, Rendered } from './types.ts';
