import { dayToIsoDate } from '../world/index.ts';
import type { Ledger } from './types.ts';

/** A tag as the sim publishes it (the shape of a GraphSense TagPack entry). */
export interface SimTag {
  address: string;
  label: string;
  source: string;
  category: string;
  currency: 'BTC';
  confidence: string;
  lastmod: string;
  actor: string;
}

/**
 * What public attribution sources would know about the sim's services: one hot-wallet address per exchange
 * (exchanges' own proof-of-reserves pages), the mixer's coordinator fee address, and each bitcoin market's first
 * hot-wallet address. Nothing else: deposit addresses are found by clustering.
 */
export function publicTags(ledger: Ledger): SimTag[] {
  const lastmod = dayToIsoDate(0);
  const tags: SimTag[] = ledger.exchanges.map((e) => ({
    address: e.hotAddresses[0] as string, label: e.name, source: `https://${e.slug}.example/proof-of-reserves`, category: 'exchange',
    currency: 'BTC', confidence: 'service_data', lastmod, actor: e.slug,
  }));
  tags.push({ address: ledger.mixer.feeAddress, label: ledger.mixer.name, source: 'https://whirl.example/fees', category: 'mixing_service', currency: 'BTC', confidence: 'web_crawl', lastmod, actor: ledger.mixer.slug });
  for (const [slug, hot] of ledger.marketHot) {
    tags.push({ address: hot[0] as string, label: `${slug} market hot wallet`, source: `darkpatrol:sim/${slug}`, category: 'market', currency: 'BTC', confidence: 'forensic', lastmod, actor: slug });
  }
  return tags;
}
