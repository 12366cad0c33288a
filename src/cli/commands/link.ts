// `darkpatrol link …`: resolve vendor accounts into identities, inspect a vendor's links, record analyst decisions,
// and fit the link model on a sim world.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';
import type { Database } from '../../store/index.ts';
import {
  LinkDecisionError, MODEL_PATH, confirmLink, loadModel, mergeIdentities, rejectLink, runLinking, showVendorLinks,
  splitIdentity, trainOnSim, type DecisionActor,
} from '../../link/index.ts';
import { isScalePreset, type ScalePreset } from '../../sim/index.ts';
import { detectLinkedHits } from '../../deconflict/index.ts';

function positiveInt(name: string, v: string): number {
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new UserError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

async function agencyId(db: Kysely<Database>, code?: string): Promise<number> {
  if (code) {
    const a = await db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
    if (!a) throw new UserError(`no agency ${code}; see \`darkpatrol agency list\``);
    return a.id;
  }
  const all = await db.selectFrom('agencies').select(['id', 'code']).limit(2).execute();
  if (all.length === 1) return (all[0] as { id: number }).id;
  throw new UserError(all.length === 0 ? 'no agency yet: add one with `darkpatrol agency add`' : 'several agencies: choose one with --agency CODE');
}

async function actorOf(db: Kysely<Database>, username?: string, reason?: string): Promise<DecisionActor> {
  if (!username) return { actor: `cli:${userInfo().username}`, userId: null, ...(reason ? { reason } : {}) };
  const u = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
  if (!u) throw new UserError(`no user ${username}`);
  return { actor: `user:${username}`, userId: u.id, ...(reason ? { reason } : {}) };
}

async function decided<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LinkDecisionError) throw new UserError(err.message);
    throw err;
  }
}

export function register(program: Command): void {
  const link = program.command('link').description('vendor identity resolution: accounts → identities, explained links, analyst decisions');

  link.command('run')
    .description('resolve every account of an agency into identities (respects confirmed and rejected links)')
    .option('--agency <code>', 'agency (default: the only one)')
    .option('--model <path>', `link model weights (default: ${MODEL_PATH})`)
    .option('--json', 'machine-readable output')
    .action(async (opts: { agency?: string; model?: string; json?: boolean }, cmd: Command) => {
      let model;
      try { model = loadModel(opts.model); } catch (err) { throw new UserError(`cannot read the link model: ${(err as Error).message}`); }
      await withStore(cmd, async (store) => {
        const actor = `cli:${userInfo().username}`;
        const linked = await runLinking(store, { agencyId: await agencyId(store.db, opts.agency), model, actor });
        // New identities can tie one agency's registered selector to another agency's case: notify both now.
        const r = { ...linked, deconflictionHits: await detectLinkedHits(store.db, actor) };
        emit(opts.json ?? false, r, () => [
          `link run ${r.runId} (model ${r.model}): ${r.accounts} accounts → ${r.identities} identities (${r.multiAccountIdentities} with several accounts)`,
          `${r.candidatePairs} candidate pairs (selector ${r.candidatesByBlock.selector}, name ${r.candidatesByBlock.name}, ` +
            `neighbourhood ${r.candidatesByBlock.neighbourhood}, style ${r.candidatesByBlock.style}); ${r.linksWritten} links written`,
          `joins: ${r.joins.hard} hard, ${r.joins.soft} soft, ${r.joins.must} confirmed; refused: ${r.refused.cannot} rejected pairs, ` +
            `${r.refused.coherence} incoherent, ${r.refused.size} too large`,
          `seconds: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `de-confliction: ${r.deconflictionHits} new hit(s) between agencies' cases`,
        ].join('\n'));
      });
    });

  link.command('show')
    .argument('<vendorId>', 'vendor (account) id')
    .description("a vendor's identity, its other accounts and every link with its evidence")
    .option('--json', 'machine-readable output')
    .action(async (vendorId: string, opts: { json?: boolean }, cmd: Command) => {
      const id = positiveInt('vendorId', vendorId);
      await withStore(cmd, async (store) => {
        const v = await showVendorLinks(store.db, id);
        if (!v) throw new UserError(`no vendor ${id}`);
        emit(opts.json ?? false, v, () => {
          const lines = [`vendor ${v.vendor.vendorId} ${v.vendor.handle} on ${v.vendor.source} (${v.vendor.sourceKind})`];
          if (v.identity) {
            lines.push(`identity ${v.identity.id} "${v.identity.label}": ${v.identity.members.map((m) => `${m.vendorId} ${m.handle}@${m.source}`).join(', ')}`);
          } else lines.push('not yet resolved: run `darkpatrol link run`');
          for (const l of v.links) {
            lines.push('', `link ${l.id} → ${l.other.vendorId} ${l.other.handle}@${l.other.source}: score ${l.score.toFixed(3)} (${l.status})` +
              `${l.evidence.hard ? ', hard evidence' : ''}`);
            lines.push(table(['evidence', 'value', 'weight', 'log-odds', 'captures'], l.evidence.items.map((e) => [e.label, e.value, e.weight,
              e.contribution, (e.selectors ?? []).map((s) => `${s.kind} ${s.value.slice(0, 24)} [${s.captures.join(',')}]`).join('; ')])));
            lines.push(`  bias ${l.evidence.bias}; profile captures ${l.evidence.captures.a ?? '—'} / ${l.evidence.captures.b ?? '—'}`);
          }
          for (const d of v.decisions) lines.push(`decision ${d.id}: ${d.ruling} with ${d.other} (${d.origin}) by ${d.actor}${d.reason ? `: ${d.reason}` : ''}`);
          return lines.join('\n');
        });
      });
    });

  for (const verb of ['confirm', 'reject'] as const) {
    link.command(verb)
      .argument('<linkId>', 'link id (see `link show`)')
      .description(verb === 'confirm' ? 'confirm a link: the two accounts are always one identity' : 'reject a link: the two accounts are never linked again')
      .option('--reason <text>', 'why (kept in the audit log)')
      .option('--user <username>', 'the analyst deciding (default: the OS user)')
      .option('--json', 'machine-readable output')
      .action(async (linkId: string, opts: { reason?: string; user?: string; json?: boolean }, cmd: Command) => {
        const id = positiveInt('linkId', linkId);
        await withStore(cmd, async (store) => {
          const who = await actorOf(store.db, opts.user, opts.reason);
          const r: { identityId?: number; split?: boolean } = await decided<{ identityId?: number; split?: boolean }>(() => (verb === 'confirm' ? confirmLink(store.db, id, who) : rejectLink(store.db, id, who)));
          emit(opts.json ?? false, { linkId: id, decision: verb, ...r }, () => `link ${id} ${verb}ed` +
            (r.identityId !== undefined ? ` (identity ${r.identityId})` : r.split ? ' (accounts split)' : ''));
        });
      });
  }

  link.command('split')
    .argument('<identityId>', 'identity to split')
    .argument('<vendorIds...>', 'accounts that leave it (into a new identity)')
    .description('split an identity: the named accounts are never linked to the rest again')
    .option('--reason <text>', 'why').option('--user <username>', 'the analyst deciding').option('--json', 'machine-readable output')
    .action(async (identityId: string, vendorIds: string[], opts: { reason?: string; user?: string; json?: boolean }, cmd: Command) => {
      const ident = positiveInt('identityId', identityId);
      const vs = vendorIds.map((v) => positiveInt('vendorId', v));
      await withStore(cmd, async (store) => {
        const r = await decided(async () => splitIdentity(store.db, ident, vs, await actorOf(store.db, opts.user, opts.reason)));
        emit(opts.json ?? false, r, () => `identity ${ident} split: ${vs.join(', ')} now in identity ${r.newIdentityId}`);
      });
    });

  link.command('merge')
    .argument('<identityA>').argument('<identityB>')
    .description('merge identity B into A: they stay merged in every later run')
    .option('--reason <text>', 'why').option('--user <username>', 'the analyst deciding').option('--json', 'machine-readable output')
    .action(async (a: string, b: string, opts: { reason?: string; user?: string; json?: boolean }, cmd: Command) => {
      const ia = positiveInt('identityA', a);
      const ib = positiveInt('identityB', b);
      await withStore(cmd, async (store) => {
        const r = await decided(async () => mergeIdentities(store.db, ia, ib, await actorOf(store.db, opts.user, opts.reason)));
        emit(opts.json ?? false, r, () => `identity ${ib} merged into ${ia} (${r.members} accounts)`);
      });
    });

  link.command('train')
    .description('fit the link model on a sim world (never the evaluation seed) and write the weights JSON')
    .requiredOption('--seed <seed>', 'training world seed')
    .option('--scale <preset>', 'tiny, demo, medium, large or alphabay', 'medium')
    .option('--out <path>', 'where to write the weights', MODEL_PATH)
    .option('--decisions-agency <code>', "also learn from this agency's confirmed/rejected links in the store")
    .option('--json', 'machine-readable output')
    .action(async (opts: { seed: string; scale: string; out: string; decisionsAgency?: string; json?: boolean }, cmd: Command) => {
      if (!isScalePreset(opts.scale)) throw new UserError(`--scale must be one of tiny, demo, medium, large, alphabay; got ${opts.scale}`);
      const train = async (decisionsFrom?: Parameters<typeof trainOnSim>[0]['decisionsFrom']) => {
        const r = await trainOnSim({ seed: opts.seed, scale: opts.scale as ScalePreset, out: opts.out,
          ...(decisionsFrom ? { decisionsFrom } : {}), onProgress: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
        emit(opts.json ?? false, r, () => `model ${r.model.version}: ${r.pairs} labelled pairs (${r.positives} same-identity), ` +
          `log-loss ${r.logLoss.toFixed(4)}, threshold ${r.model.threshold}; written to ${opts.out}`);
      };
      if (opts.decisionsAgency) {
        const code = opts.decisionsAgency;
        await withStore(cmd, async (store) => train({ store, agencyId: await agencyId(store.db, code) }));
      } else await train();
    });
}
