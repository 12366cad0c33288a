import { expandCluster, type Clusters } from './cluster.ts';
import type { ChainGraph } from './graph.ts';
import { SERVICE_CATEGORIES, type AddressTag } from './tagpack.ts';

/** A service an address belongs to, and how we know. */
export interface ServiceMatch {
  label: string;
  category: string;
  actor?: string;
  /** 'address': the address itself is tagged; 'cluster': another address of its cluster is. */
  via: 'address' | 'cluster';
  taggedAddress: string;
  tagSource: string;
  confidence?: string;
}

const CONFIDENCE_RANK: Record<string, number> = { ownership: 8, forensic: 7, authority_data: 6, service_data: 5, web_crawl: 4, manual: 3, heuristic: 2, untrusted: 1 };

/** Attribution by tags: an address is a service's when it, or an address of its cluster, carries a service tag. */
export class Attribution {
  readonly #tags = new Map<string, AddressTag[]>();
  readonly #serviceAddresses: string[] = [];
  readonly #cache = new Map<string, ServiceMatch | null>();

  constructor(
    readonly graph: ChainGraph,
    readonly clusters: Clusters,
    tags: Iterable<AddressTag>,
    readonly limits: { maxAddresses?: number; maxRounds?: number } = {},
  ) {
    for (const t of tags) {
      const l = this.#tags.get(t.address) ?? [];
      l.push(t);
      this.#tags.set(t.address, l);
      if (SERVICE_CATEGORIES.has(t.category) && l.length === 1) this.#serviceAddresses.push(t.address);
    }
  }

  tagsOf(address: string): AddressTag[] {
    return this.#tags.get(address) ?? [];
  }

  #best(address: string): AddressTag | undefined {
    return this.tagsOf(address)
      .filter((t) => SERVICE_CATEGORIES.has(t.category))
      .sort((a, b) => (CONFIDENCE_RANK[b.confidence ?? ''] ?? 0) - (CONFIDENCE_RANK[a.confidence ?? ''] ?? 0))[0];
  }

  #match(address: string): ServiceMatch | null {
    const own = this.#best(address);
    if (own) return { label: own.label, category: own.category, actor: own.actor, via: 'address', taggedAddress: address, tagSource: own.source, confidence: own.confidence };
    const root = this.clusters.find(address);
    for (const s of this.#serviceAddresses) {
      if (this.clusters.find(s) !== root) continue;
      const t = this.#best(s) as AddressTag;
      return { label: t.label, category: t.category, actor: t.actor, via: 'cluster', taggedAddress: s, tagSource: t.source, confidence: t.confidence };
    }
    return null;
  }

  /** The service of an address, expanding its cluster on demand until a service tag is met (or the limits). */
  async serviceOf(address: string): Promise<ServiceMatch | null> {
    if (this.#cache.has(address)) return this.#cache.get(address) ?? null;
    let found = this.#match(address);
    if (!found) {
      await expandCluster(this.graph, this.clusters, [address], {
        maxAddresses: this.limits.maxAddresses ?? 200,
        maxRounds: this.limits.maxRounds ?? 2,
        stop: () => (found = this.#match(address)) !== null,
      });
      found ??= this.#match(address);
    }
    this.#cache.set(address, found);
    return found;
  }
}
