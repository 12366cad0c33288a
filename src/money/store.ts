import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EvidenceRecorder } from '../evidence/index.ts';
import type { Database } from '../store/index.ts';
import type { AddressEvidence } from './report.ts';
import type { AddressTag, TagPack } from './tagpack.ts';
import type { ChainFetch, ChainTx } from './types.ts';

/** Stores a TagPack's tags for an agency (a tag already held — same address, label and source — is kept once). */
export async function saveTagPack(db: Kysely<Database>, agencyId: number, pack: TagPack): Promise<{ added: number; known: number }> {
  return db.transaction().execute(async (trx) => {
    let added = 0;
    for (let i = 0; i < pack.tags.length; i += 500) {
      const rows = pack.tags.slice(i, i + 500).map((t) => ({
        agency_id: agencyId, address: t.address, label: t.label, category: t.category, source: t.source, currency: t.currency,
        confidence: t.confidence ?? null, lastmod: t.lastmod ?? null, actor: t.actor ?? null, context: t.context ?? null,
        is_cluster_definer: t.isClusterDefiner ?? null, tagpack: pack.title,
      }));
      const r = await trx.insertInto('chain_tags').values(rows).onConflict((oc) => oc.columns(['agency_id', 'address', 'label', 'source']).doNothing()).returning('id').execute();
      added += r.length;
    }
    return { added, known: pack.tags.length - added };
  });
}

/**
 * The agency's tags: imported TagPacks, plus tags made automatically from the market evidence — every bitcoin
 * address a vendor showed (profile, listing, message) or that a seized market's database recorded for a vendor is
 * tagged `perpetrator` with the vendor as actor.
 */
export async function loadTags(db: Kysely<Database>, agencyId: number): Promise<AddressTag[]> {
  const rows = await db.selectFrom('chain_tags').selectAll().where('agency_id', '=', agencyId).orderBy('id').execute();
  const tags: AddressTag[] = rows.map((r) => ({
    address: r.address, label: r.label, category: r.category, source: r.source, currency: r.currency, confidence: r.confidence ?? undefined,
    lastmod: r.lastmod ? new Date(r.lastmod).toISOString().slice(0, 10) : undefined, actor: r.actor ?? undefined, context: r.context ?? undefined,
    isClusterDefiner: r.is_cluster_definer ?? undefined,
  }));
  const seen = await db
    .selectFrom('selector_sightings as s')
    .innerJoin('selectors as sel', 'sel.id', 's.selector_id')
    .innerJoin('vendors as v', 'v.id', 's.vendor_id')
    .innerJoin('markets as m', 'm.id', 'v.market_id')
    .select(['sel.value as address', 'v.handle', 'm.name as market', 's.source', 's.capture_id', 's.observed_at'])
    .where('s.agency_id', '=', agencyId)
    .where('sel.kind', '=', 'btc_address')
    .orderBy('s.id')
    .execute();
  const done = new Set<string>();
  for (const r of seen) {
    const key = `${r.address}|${r.handle}|${r.market}`;
    if (done.has(key)) continue;
    done.add(key);
    tags.push({
      address: r.address, label: `vendor ${r.handle} (${r.market})`, category: 'perpetrator', currency: 'BTC',
      source: r.capture_id ? `darkpatrol:capture/${r.capture_id}` : `darkpatrol:${r.source}`,
      confidence: r.source === 'dump' ? 'forensic' : 'web_crawl', lastmod: new Date(r.observed_at).toISOString().slice(0, 10), actor: r.handle,
    });
  }
  return tags;
}

/** Bitcoin addresses the store ties to one vendor row. */
export async function vendorAddresses(db: Kysely<Database>, agencyId: number, vendorId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('selector_sightings as s')
    .innerJoin('selectors as sel', 'sel.id', 's.selector_id')
    .select('sel.value')
    .distinct()
    .where('s.agency_id', '=', agencyId)
    .where('s.vendor_id', '=', vendorId)
    .where('sel.kind', '=', 'btc_address')
    .execute();
  return rows.map((r) => r.value).sort();
}

/** The market evidence behind each address: which vendor showed it where, with the capture. */
export async function addressEvidence(db: Kysely<Database>, agencyId: number, addresses: string[]): Promise<AddressEvidence[]> {
  if (addresses.length === 0) return [];
  const rows = await db
    .selectFrom('selector_sightings as s')
    .innerJoin('selectors as sel', 'sel.id', 's.selector_id')
    .leftJoin('vendors as v', 'v.id', 's.vendor_id')
    .leftJoin('markets as m', 'm.id', 'v.market_id')
    .leftJoin('captures as c', 'c.id', 's.capture_id')
    .select(['sel.value as address', 'v.handle', 'm.name as market', 's.source', 's.capture_id', 'c.url'])
    .where('s.agency_id', '=', agencyId)
    .where('sel.value', 'in', addresses)
    .orderBy('s.id')
    .limit(10_000)
    .execute();
  return rows.map((r) => ({
    address: r.address, what: `${r.source} sighting${r.handle ? ` by vendor ${r.handle}` : ''}${r.market ? ` on ${r.market}` : ''}`, captureId: r.capture_id, url: r.url,
  }));
}

/**
 * Preserves the chain data a trace used: every fetch becomes an evidence capture (WARC request/response/metadata
 * records, a captures row, hash-chained log entries) with a `chain_fetches` row; every transaction is kept once per
 * agency, pointing at the first fetch whose answer contained it. Called only after the trace succeeded, so a node
 * that failed mid-way leaves nothing behind.
 */
export async function preserveChainData(db: Kysely<Database>, recorder: EvidenceRecorder, agencyId: number, source: string, fetches: ChainFetch[], txs: Iterable<ChainTx>): Promise<{ captures: number; txs: number }> {
  const fetchOf = new Map<string, number>();
  let captures = 0;
  for (const f of fetches) {
    const sha = createHash('sha256').update(f.body).digest('hex');
    let fetchId = 0;
    await recorder.recordExchange(
      { url: f.url, request: f.request, response: f.response, payloadSha256: sha, payloadSize: f.body.length, httpStatus: f.httpStatus, contentType: f.contentType, fetchedAt: f.fetchedAt },
      { agencyId, marketId: null, meta: { 'chain-source': source, 'chain-request': f.what } },
      async (trx, captureId) => {
        const row = await trx.insertInto('chain_fetches').values({ agency_id: agencyId, capture_id: captureId, source, what: f.what, body_sha256: sha, fetched_at: f.fetchedAt }).returning('id').executeTakeFirstOrThrow();
        fetchId = row.id;
      },
    );
    captures++;
    for (const m of f.body.toString('utf8').matchAll(/"([0-9a-f]{64})"/g)) if (!fetchOf.has(m[1] as string)) fetchOf.set(m[1] as string, fetchId);
  }
  let kept = 0;
  const rows = [...txs].flatMap((tx) => {
    const fetchId = fetchOf.get(tx.txid);
    return fetchId ? [{ agency_id: agencyId, txid: tx.txid, block_hash: tx.blockHash, height: tx.height, block_time: tx.time === null ? null : new Date(tx.time * 1000), body: JSON.stringify(tx), first_fetch_id: fetchId }] : [];
  });
  for (let i = 0; i < rows.length; i += 500) {
    const r = await db.insertInto('chain_txs').values(rows.slice(i, i + 500)).onConflict((oc) => oc.columns(['agency_id', 'txid']).doNothing()).returning('txid').execute();
    kept += r.length;
  }
  return { captures, txs: kept };
}
