import type { RateLimit } from '../../deconflict/index.ts';
import type { ServerOptions } from '../types.ts';
import { DEFAULT_OPRF_RATE_LIMIT, EvaluatorHolder } from './blinded.ts';
import { PeerNetworkPolicy } from './outbound.ts';

/** Optional settings of the de-confliction, exchange and federation routes, passed along with ServerOptions. */
export interface ExchangeServerOptions {
  exchange?: {
    /** This installation's federation id (the audience peers sign for); random and stored on first use otherwise. */
    installationId?: string;
    /** Per-client budget of OPRF evaluations (agencies here and federated peers). */
    oprfRateLimit?: RateLimit;
    /** Per-agency budget of clear-mode selector registrations (default DEFAULT_CLEAR_BUDGET: 2,000, then 1/s). */
    clearRegistrationBudget?: RateLimit;
    /**
     * Address ranges (CIDR) federation peers may be at although loopback or private (outbound.ts); none by
     * default. Tests and deployments with peers on an internal network name their range here.
     */
    allowedPeerNetworks?: readonly string[];
  };
}

export function exchangeOptions(opts: ServerOptions): NonNullable<ExchangeServerOptions['exchange']> {
  return (opts as ServerOptions & ExchangeServerOptions).exchange ?? {};
}

const holders = new WeakMap<ServerOptions, EvaluatorHolder>();

/** The server's one OPRF evaluator (shared by the agency and the federation routes, so one rate limit applies). */
export function evaluatorFor(opts: ServerOptions): EvaluatorHolder {
  let h = holders.get(opts);
  if (!h) {
    const o = exchangeOptions(opts);
    h = new EvaluatorHolder(opts.store.db, o.oprfRateLimit ?? DEFAULT_OPRF_RATE_LIMIT, o.installationId);
    holders.set(opts, h);
  }
  return h;
}

const policies = new WeakMap<ServerOptions, PeerNetworkPolicy>();

/** The server's outbound policy for federation peers (built once per server from its options). */
export function peerPolicy(opts: ServerOptions): PeerNetworkPolicy {
  let p = policies.get(opts);
  if (!p) {
    p = new PeerNetworkPolicy(exchangeOptions(opts).allowedPeerNetworks ?? []);
    policies.set(opts, p);
  }
  return p;
}
