import { Writable } from 'node:stream';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/role.ts';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.ts';
import { buildServer, createApiToken, routeCatalog, SCOPES, type App, type RouteInfo } from '../../src/server/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { bodyFor, enc, hostilePathValue, paramValue, searchTerm, type Schema, type WireBody } from './attack.ts';
import { loginCookie } from './helpers.ts';
import { kindOf, leaks, newOwnedId, PRIVATE_KINDS, seedOwned, UNMARKED_KINDS, visibleRow, type Kind } from './owned.ts';
import { AGENCIES, seed, type AgencyCode, type Seeded } from './seed.ts';

/**
 * The automatic attack suite: every operation of the server's own OpenAPI document, driven by fast-check with
 * generated hostile requests — wrong types, NUL characters, huge and odd Unicode strings, unknown and mass-assignment
 * fields, bodies that are not JSON, missing or forged credentials, other origins, every role of two agencies, and the
 * ids of rows of every agency and TLP marking. Every answer must hold:
 *   - no 5xx (but a federation peer's failure, 502 peer_error), and nothing of a database error or a stack trace;
 *   - errors as { error, message };
 *   - nothing of a row the caller may not see (other agency's private rows, AMBER/RED of other agencies, partners
 *     only shared rows on feeds) — tags the seed wrote into every row are searched for in the answer;
 *   - no credentials, no answer but 401 (or a CSRF 403) off the public routes; a state-changing request from another
 *     origin is refused; no 2xx on a row the caller may not see or, for writes, does not own;
 *   - every write attempt of an authenticated caller is in the audit log under that caller, and every 2xx write is
 *     audited; nothing is logged at error level.
 * DP_ATTACK_RUNS (requests per operation, default 12) and DP_ATTACK_SEED (fast-check seed, default random and
 * printed) make a run larger or repeatable.
 */
const RUNS = Number(process.env.DP_ATTACK_RUNS ?? 12);
const SEED = Number(process.env.DP_ATTACK_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface Caller {
  label: string;
  headers: Record<string, string>;
  /** Who the server should take the caller for; absent for no or forged credentials. */
  who?: { agency: AgencyCode; role: Role; actor: string };
  /** A session: re-login after the fuzzer logged it out. */
  session?: { username: string; csrf: boolean };
  /** An API token: re-issued under the same name after an admin's attack revoked it. */
  token?: { name: string; role: Role; agency: AgencyCode };
}

interface Target {
  id: string;
  owner: AgencyCode;
  tlp: Tlp;
}

interface Operation {
  method: string;
  path: string;
  url: string;
  access: RouteInfo['access'];
  kind: Kind | null;
  query: { name: string; required: boolean; schema?: Schema }[];
  body?: Schema;
}

let store: TestStore;
let app: App;
let s: Seeded;
const callers: Caller[] = [];
const targets = new Map<Kind, Target[]>();
const logLines: string[] = [];
let lastAudit = 0;
let requests = 0;

const SESSION_USERS = [
  { agency: AGENCIES[0], role: 'admin' as Role },
  { agency: AGENCIES[1], role: 'investigator' as Role },
];

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const owned = await seedOwned(store, s);
  for (const agency of AGENCIES)
    for (const role of ROLES) {
      const name = `attack-${role}-${agency.toLowerCase()}`;
      const { token } = await createApiToken(store.db, { agencyId: s.agencyIds[agency], name, role, scopes: SCOPES });
      callers.push({ label: `token ${role}@${agency}`, headers: { authorization: `Bearer ${token}` }, who: { agency, role, actor: `token:${name}` }, token: { name, role, agency } });
    }
  callers.push(
    { label: 'anonymous', headers: {} },
    { label: 'forged bearer', headers: { authorization: `Bearer dp_${'A'.repeat(43)}` } },
    { label: 'garbage bearer', headers: { authorization: 'Bearer \u00e9\u0001' } },
    { label: 'basic outside TAXII', headers: { authorization: `Basic ${Buffer.from('x:y').toString('base64')}` } },
    { label: 'forged session', headers: { cookie: `dp_session=${'x'.repeat(43)}` } },
  );
  for (const kind of ['market', 'vendor', 'identity', 'link', 'listing', 'capture', 'captcha', 'user', 'token', 'case', 'hit', 'import', 'intelImport', 'trustedKey', 'peer', 'fnotice', 'bnotice', 'job', 'adapter'] as Kind[]) {
    const list: Target[] = [];
    for (const owner of AGENCIES) for (const tlp of UNMARKED_KINDS.includes(kind) ? (['CLEAR'] as Tlp[]) : TLP_LEVELS) list.push({ id: await newOwnedId(store, s, owned, kind, owner, tlp), owner, tlp });
    targets.set(kind, list);
  }
  const stream = new Writable({ write: (chunk: Buffer, _e, done) => (logLines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  app = await buildServer({ store, webRoot: false, rateLimit: false, logger: { level: 'warn', stream } });
  await app.ready();
  for (const u of SESSION_USERS)
    for (const csrf of [true, false]) {
      const username = s.username(u.agency, u.role);
      callers.push({ label: `session ${u.role}@${u.agency}${csrf ? '' : ' without CSRF token'}`, headers: {}, who: { agency: u.agency, role: u.role, actor: `user:${username}` }, session: { username, csrf } });
    }
  for (const c of callers) if (c.session) await relogin(c);
  lastAudit = Number((await sql<{ m: string | null }>`select max(id)::text as m from audit_log`.execute(store.db)).rows[0]!.m ?? 0);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

/** Callers whose token an admin's generated attack revoked (an id guessed right is a legitimate revocation). */
async function revokedTokenCallers(): Promise<Caller[]> {
  const revoked = await sql<{ name: string }>`select distinct name from api_tokens where name like 'attack-%' and revoked_at is not null and not exists (select 1 from api_tokens t where t.name = api_tokens.name and t.revoked_at is null)`.execute(store.db);
  const names = new Set(revoked.rows.map((r) => r.name));
  return callers.filter((c) => c.token && names.has(c.token.name));
}

async function reissue(c: Caller): Promise<void> {
  const { token } = await createApiToken(store.db, { agencyId: s.agencyIds[c.token!.agency], name: c.token!.name, role: c.token!.role, scopes: SCOPES });
  c.headers = { authorization: `Bearer ${token}` };
}

async function relogin(c: Caller): Promise<void> {
  const h = await loginCookie(app, c.session!.username);
  c.headers = c.session!.csrf ? { ...h } : { cookie: h.cookie };
}

/** The operations of the live OpenAPI document, with the access rule of the route behind each. */
function operations(): Operation[] {
  const doc = app.swagger() as { paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>> };
  const catalog = routeCatalog(app);
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase();
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      const route = catalog.find((r) => r.method === method && r.url === url);
      if (!route) throw new Error(`${method} ${path} is in the OpenAPI document but not a route`);
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required === true, schema: p.schema }));
      ops.push({ method, path, url, access: route.access, kind: kindOf(url), query, body: op.requestBody?.content?.['application/json']?.schema });
    }
  return ops;
}

interface Attack {
  caller: Caller;
  target: Target | string | null;
  query: Record<string, string | null>;
  extraQuery: [string, string] | null;
  body: WireBody | undefined;
  origin: Record<string, string>;
  remoteAddress: string;
}

function attacks(op: Operation): fc.Arbitrary<Attack> {
  const pool = op.kind ? targets.get(op.kind)! : [];
  return fc.record({
    caller: fc.constantFrom(...callers),
    target: op.kind ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom<Target | string>(...pool) }, { weight: 1, arbitrary: hostilePathValue }) : fc.constant(null),
    query: fc.record(Object.fromEntries(op.query.map((q) => [q.name, fc.option(q.name === 'q' ? fc.oneof(searchTerm, paramValue(q.schema)) : paramValue(q.schema), { freq: 2 })])), { requiredKeys: op.query.map((q) => q.name) }) as fc.Arbitrary<Record<string, string | null>>,
    extraQuery: fc.option(fc.tuple(fc.constantFrom('agencyId', 'tlp', '__proto__[admin]', 'constructor', 'x'), paramValue(undefined)), { freq: 6 }),
    body: op.body ? bodyFor(op.body) : op.method === 'GET' ? fc.constant(undefined) : fc.option(bodyFor({ type: 'object', properties: {} }), { freq: 3 }).map((b) => b ?? undefined),
    origin: fc.constantFrom<Record<string, string>>({}, {}, {}, {}, {}, {}, {}, { origin: 'http://127.0.0.1:9999' }, { origin: 'null' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://localhost:80' }),
    remoteAddress: fc.oneof(fc.constant('127.0.0.1'), fc.ipV4()),
  });
}

const DB_ERROR = /violates|syntax error|invalid byte sequence|unsupported unicode escape|"code":"[0-9A-Z]{5}"|invalid input syntax|relation "|column "|duplicate key|SQLSTATE|deadlock|current transaction is aborted|out of range for type|value too long for type|null value in column|pglite|kysely|node_modules|\bat \S+ \(\S+:\d+:\d+\)/i;
const isWrite = (m: string) => m !== 'GET';

/** Sends one attack and returns what is wrong with the answer (empty: nothing). */
async function attack(op: Operation, a: Attack): Promise<{ problems: string[]; summary: string }> {
  const idPart = a.target === null ? undefined : typeof a.target === 'string' ? a.target : enc(a.target.id);
  let url = idPart === undefined ? op.path : op.path.replace('{id}', idPart);
  const qs = Object.entries(a.query).filter((e): e is [string, string] => e[1] !== null).map(([k, v]) => `${enc(k)}=${enc(v)}`);
  if (a.extraQuery) qs.push(`${enc(a.extraQuery[0])}=${enc(a.extraQuery[1])}`);
  if (qs.length) url += `?${qs.join('&')}`;
  const headers: Record<string, string> = { ...a.caller.headers, ...a.origin, ...(a.body ? { 'content-type': a.body.contentType } : {}) };
  // A token revoked by an earlier attack authenticates nobody: its request is judged as an unauthenticated one.
  const revokedCaller = a.caller.token !== undefined && (await revokedTokenCallers()).includes(a.caller);
  const res = await app.inject({ method: op.method as 'GET', url, headers, remoteAddress: a.remoteAddress, ...(a.body ? { payload: a.body.payload } : {}) });
  requests++;
  // The audit entries written since the last write (reads are audited too; only writes are checked here).
  const audit = isWrite(op.method) ? (await sql<{ id: string; actor: string }>`select id::text as id, actor from audit_log where id > ${lastAudit} order by audit_log.id`.execute(store.db)).rows : [];
  if (audit.length) lastAudit = Number(audit[audit.length - 1]!.id);

  const status = res.statusCode;
  const body = res.body;
  const isJson = String(res.headers['content-type'] ?? '').includes('json');
  let parsed: { error?: unknown; message?: unknown } = {};
  if (isJson) {
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      parsed = {};
    }
  }
  const problems: string[] = [];
  // Not routed: no such route (an encoded slash), a path parameter past the router's length limit or a URL that is not
  // valid percent-encoding, refused before any credential or rule is looked at.
  const routeMissing = (status === 404 && typeof parsed.message === 'string' && parsed.message.startsWith('no route ')) || (status === 400 && parsed.error === 'bad_url') || (status === 414 && parsed.error === 'uri_too_long');
  const ok = status >= 200 && status < 300;
  const who = revokedCaller ? undefined : a.caller.who;
  const access = op.access!;

  if (status >= 500 && !(status === 502 && parsed.error === 'peer_error')) problems.push(`server error ${status}`);
  if (DB_ERROR.test(body)) problems.push('the answer shows a database error or a stack trace');
  if (status >= 400 && isJson && (typeof parsed.error !== 'string' || typeof parsed.message !== 'string')) problems.push('an error answer without { error, message }');

  const crossOrigin = Object.keys(a.origin).length > 0;
  if (isWrite(op.method) && crossOrigin && !routeMissing && status !== 403) problems.push(`a state-changing request from another origin was answered ${status}, not refused`);
  if (!who && !access.public && !routeMissing && status !== 401 && !(status === 403 && parsed.error === 'csrf')) problems.push(`without valid credentials: ${status}, not 401`);

  const echoed = `${url}\n${a.body?.payload ?? ''}`;
  const found = who ? leaks(body, who.agency, who.role, access.scope === 'feed', echoed) : leaks(body, 'XX' as AgencyCode, 'partner', false, echoed);
  if (found.length) problems.push(`leaked ${found.join(', ')}`);

  if (who && ok && typeof a.target === 'object' && a.target && op.kind && op.kind !== 'hit') {
    const t = a.target;
    const own = t.owner === who.agency;
    if (PRIVATE_KINDS.includes(op.kind) ? !own : !visibleRow(who.agency, who.role, t.owner, t.tlp)) problems.push(`2xx on ${op.kind} ${t.id} of ${t.owner}/${t.tlp}, which ${who.role}@${who.agency} may not see`);
    else if (isWrite(op.method) && !own) problems.push(`2xx write on ${op.kind} ${t.id} of ${t.owner}, not the caller's agency`);
  }

  if (isWrite(op.method) && !routeMissing) {
    const mine = who && audit.some((e) => e.actor === who.actor);
    if (who && !access.public && status !== 401 && !mine) problems.push(`write attempt by ${who.actor} answered ${status} and not audited`);
    if (ok && !audit.length) problems.push('a 2xx write left no audit entry');
  }

  if (a.caller.session && op.url === '/api/auth/logout' && ok) await relogin(a.caller);
  if (revokedCaller) await reissue(a.caller);
  return { problems, summary: `${a.caller.label} ${op.method} ${url.slice(0, 300)} → ${status} ${body.slice(0, 300)}` };
}

describe(`attack suite: generated hostile requests on every OpenAPI operation (${testEngine})`, () => {
  it('answers every generated attack without a 5xx, a database error, a leak, a missing refusal or an unaudited write', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(80);
    const failures: string[] = [];
    for (const [i, op] of ops.entries()) {
      let failure = '';
      const details = await fc.check(
        fc.asyncProperty(attacks(op), async (a) => {
          const { problems, summary } = await attack(op, a);
          if (problems.length) {
            failure = `${op.method} ${op.path}: ${problems.join('; ')}\n    ${summary}`;
            return false;
          }
          return true;
        }),
        // Requests change server state, so a counterexample is not shrunk: the failing request is reported as sent.
        { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
      );
      if (details.failed) failures.push(`${failure || (fc.defaultReportMessage(details) ?? "").slice(0, 600)} (seed ${SEED + i})`);
    }
    const errors = logLines.filter((l) => ((JSON.parse(l) as { level?: number }).level ?? 0) >= 50);
    console.log(`attack suite (${testEngine}): ${requests} requests over ${ops.length} operations, ${callers.length} callers, seed ${SEED}, ${failures.length} failing operations`);
    expect(failures).toEqual([]);
    expect(errors.map((l) => l.slice(0, 400))).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(ops.length * RUNS);
  }, 300_000);
});
