/** The resolution pipeline in memory: prepare → block → score → cluster. No I/O (see run.ts for the store). */
import type { AccountData } from './load.ts';
import { candidatePairs, type BlockingOptions, type CandidateSet } from './blocking.ts';
import { clusterAccounts, type ClusterOptions, type ClusterResult, type ScoredPair } from './cluster.ts';
import { isHard, logit, pairFeatures, sigmoid, type LinkModel } from './model.ts';
import { prepareAccounts, type PrepareOptions, type Prepared } from './prepare.ts';

export interface ResolveOptions {
  prepare?: PrepareOptions;
  blocking?: BlockingOptions;
  cluster?: Omit<ClusterOptions, 'threshold'> & { threshold?: number };
}

export interface Decisions {
  /** Vendor id pairs, either order. */
  must: Array<[number, number]>;
  cannot: Array<[number, number]>;
}

export interface Resolution {
  prepared: Prepared[];
  candidates: CandidateSet;
  scored: ScoredPair[];
  clusters: ClusterResult;
  /** Wall seconds per stage. */
  timings: Record<string, number>;
  /** CPU seconds (user + system) of this process per stage: what a stage costs when the machine is shared. */
  cpu: Record<string, number>;
}

export function resolveAccounts(accounts: AccountData[], model: LinkModel, decisions: Decisions = { must: [], cannot: [] },
  opts: ResolveOptions = {}): Resolution {
  const timings: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  let t = performance.now();
  let c = process.cpuUsage();
  const lap = (name: string) => {
    const now = performance.now();
    const used = process.cpuUsage(c);
    timings[name] = Math.round(now - t) / 1000;
    cpu[name] = Math.round((used.user + used.system) / 1000) / 1000;
    t = now;
    c = process.cpuUsage();
  };
  const prepared = prepareAccounts(accounts, opts.prepare);
  lap('prepare');
  const candidates = candidatePairs(prepared, opts.blocking);
  lap('blocking');
  const scored: ScoredPair[] = new Array(candidates.pairs.length);
  for (let i = 0; i < candidates.pairs.length; i++) {
    const [a, b] = candidates.pairs[i] as [number, number];
    const f = pairFeatures(prepared[a] as Prepared, prepared[b] as Prepared);
    scored[i] = { a, b, p: sigmoid(logit(model, f.x, f.rules)), hard: isHard(f) };
  }
  lap('scoring');
  const indexOf = new Map(prepared.map((p) => [p.data.vendorId, p.index]));
  const toIdx = (pairs: Array<[number, number]>) => pairs.flatMap(([x, y]) => {
    const a = indexOf.get(x);
    const b = indexOf.get(y);
    return a === undefined || b === undefined ? [] : [[a, b] as [number, number]];
  });
  const clusters = clusterAccounts(prepared.length, scored, toIdx(decisions.must), toIdx(decisions.cannot),
    { ...opts.cluster, threshold: opts.cluster?.threshold ?? model.threshold });
  lap('clustering');
  return { prepared, candidates, scored, clusters, timings, cpu };
}
