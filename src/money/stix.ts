import { CRYPTOCURRENCY_WALLET, extensionDefinitionObject, selectorToObservable, stableId } from '../exchange/index.ts';
import type { CashOutReport } from './report.ts';

/**
 * The cash-out report as a STIX 2.1 bundle: the subject's and the deposit addresses as cryptocurrency-wallet
 * observables, each exchange as an organisation identity related to its deposit addresses, a note per exchange with
 * amounts, dates and transaction paths, and a report tying them together.
 */
export function cashOutStix(report: CashOutReport, now = new Date()): Record<string, unknown> {
  const ts = now.toISOString();
  const objects: Record<string, unknown>[] = [extensionDefinitionObject(CRYPTOCURRENCY_WALLET)];
  const refs: string[] = [];
  const wallet = (address: string) => {
    const o = selectorToObservable('btc_address', address).object as Record<string, unknown> & { id: string };
    if (!objects.some((x) => x.id === o.id)) objects.push(o);
    return o.id;
  };
  for (const a of report.clusterAddresses) refs.push(wallet(a));
  for (const ex of report.exchanges) {
    const identity = { type: 'identity', spec_version: '2.1', id: stableId('identity', 'exchange', ex.label), created: ts, modified: ts, name: ex.label, identity_class: 'organization', sectors: ['financial-services'] };
    objects.push(identity);
    refs.push(identity.id);
    const depositIds = ex.deposits.map((d) => wallet(d.address));
    refs.push(...depositIds);
    for (const id of depositIds) {
      const rel = { type: 'relationship', spec_version: '2.1', id: stableId('relationship', identity.id, id, report.subject), created: ts, modified: ts, relationship_type: 'related-to', source_ref: id, target_ref: identity.id, description: `deposit address of ${ex.label} (attributed via ${ex.via}: ${ex.tagSource})` };
      objects.push(rel);
      refs.push(rel.id);
    }
    const lines = ex.deposits.flatMap((d) => d.transfers.map((t) => `${t.date ?? '?'} ${t.txid} -> ${d.address}: ${t.btc.toFixed(8)} BTC${t.usd === null ? '' : ` (USD ${t.usd.toFixed(2)})`}; path ${t.path.join(' > ')}`));
    const note = {
      type: 'note', spec_version: '2.1', id: stableId('note', report.subject, ex.label, report.generatedAt), created: ts, modified: ts,
      abstract: `Cash-out to ${ex.label}: ${ex.btc.toFixed(8)} BTC`, content: `${report.rule}.\n${lines.join('\n')}`, object_refs: [identity.id, ...depositIds],
    };
    objects.push(note);
    refs.push(note.id);
  }
  const rep = {
    type: 'report', spec_version: '2.1', id: stableId('report', 'cash-out', report.subject, report.generatedAt), created: ts, modified: ts,
    name: `Cash-out report: ${report.subject}`, description: `Value traced from ${report.startAddresses.length} address(es) to ${report.exchanges.length} exchange(s), ${report.maxHops} hops at most.`,
    report_types: ['threat-actor'], published: ts, object_refs: [...new Set(refs)],
  };
  objects.push(rep);
  return { type: 'bundle', id: stableId('bundle', 'cash-out', report.subject, report.generatedAt), objects };
}
