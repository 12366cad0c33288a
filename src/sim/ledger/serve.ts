import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  blockAt, blockByHash, coreBlock, coreBlockchainInfo, coreTx, esploraAddress, esploraAddressTxs, esploraBlock, esploraOutspends, esploraTx,
} from './shapes.ts';
import type { Ledger, LedgerTx } from './types.ts';

/** How the endpoint misbehaves (tests of a bad node): hang without answering, or answer with broken JSON. */
export type LedgerFault = 'none' | 'hang' | 'malformed';

export interface LedgerServerOptions {
  port?: number;
  /** Bitcoin Core's rpcuser/rpcpassword (HTTP Basic on the RPC endpoint); none when absent. */
  rpcAuth?: { user: string; password: string };
}

export interface LedgerServer {
  url: string;
  /** Bitcoin Core JSON-RPC endpoint (POST). */
  rpcUrl: string;
  /** Esplora REST base (`…/api`). */
  esploraUrl: string;
  server: Server;
  fault: LedgerFault;
  /** Requests answered, for tests that check how much was fetched. */
  requests: number;
  close(): Promise<void>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Serves a ledger on 127.0.0.1 as a Bitcoin Core node (JSON-RPC 1.0/2.0 on POST /: getblockchaininfo, getblockcount,
 * getbestblockhash, getblockhash, getblock, getrawtransaction) and as an Esplora REST API under /api.
 */
export async function serveLedger(ledger: Ledger, options: LedgerServerOptions = {}): Promise<LedgerServer> {
  const state = { fault: 'none' as LedgerFault, requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    if (state.fault === 'hang') return; // never answers; the client's deadline must fire
    handle(ledger, options, state.fault, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end('internal error');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const handleObj: LedgerServer = {
    url, rpcUrl: `${url}/`, esploraUrl: `${url}/api`, server,
    get fault() { return state.fault; },
    set fault(f: LedgerFault) { state.fault = f; },
    get requests() { return state.requests; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return handleObj;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, fault: LedgerFault): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const out = fault === 'malformed' && status === 200 ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text;
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(out);
}

async function handle(ledger: Ledger, options: LedgerServerOptions, fault: LedgerFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/') return rpc(ledger, options, fault, req, res);
  if (req.method !== 'GET' || !url.pathname.startsWith('/api/')) return send(res, 404, 'not found', fault);
  const parts = url.pathname.slice(5).split('/').map(decodeURIComponent);
  const txOf = (id: string | undefined) => (id && HEX64.test(id) ? ledger.txs.get(id) : undefined);
  const [a, b, c, d] = parts;
  if (a === 'tx') {
    if (!b || !HEX64.test(b)) return send(res, 400, 'Invalid hex string', fault);
    const tx = txOf(b);
    if (!tx) return send(res, 404, 'Transaction not found', fault);
    if (c === undefined) return send(res, 200, esploraTx(ledger, tx), fault);
    if (c === 'hex') return send(res, 200, tx.hex, fault);
    if (c === 'outspends') return send(res, 200, esploraOutspends(ledger, tx), fault);
    if (c === 'status') return send(res, 200, (esploraTx(ledger, tx) as { status: unknown }).status, fault);
    return send(res, 404, 'not found', fault);
  }
  if (a === 'address' && b) {
    if (!/^(bc1[02-9ac-hj-np-z]{8,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34})$/.test(b)) return send(res, 400, 'Invalid Bitcoin address', fault);
    if (c === undefined) return send(res, 200, esploraAddress(ledger, b), fault);
    if (c === 'txs' && d === undefined) return send(res, 200, esploraAddressTxs(ledger, b) ?? [], fault);
    if (c === 'txs' && d === 'chain') {
      const page = esploraAddressTxs(ledger, b, parts[4]);
      return page ? send(res, 200, page, fault) : send(res, 400, 'Invalid last_seen_txid', fault);
    }
    return send(res, 404, 'not found', fault);
  }
  if (a === 'blocks' && b === 'tip' && c === 'height') return send(res, 200, String(ledger.blocks.at(-1)?.height), fault);
  if (a === 'blocks' && b === 'tip' && c === 'hash') return send(res, 200, String(ledger.blocks.at(-1)?.hash), fault);
  if (a === 'block-height' && b) {
    const block = blockAt(ledger, Number(b));
    return block ? send(res, 200, block.hash, fault) : send(res, 404, 'Block not found', fault);
  }
  if (a === 'block' && b) {
    const block = blockByHash(ledger, b);
    if (!block) return send(res, 404, 'Block not found', fault);
    if (c === undefined) return send(res, 200, esploraBlock(ledger, block), fault);
    if (c === 'txids') return send(res, 200, block.txids, fault);
    if (c === 'txs') {
      const start = Number(d ?? 0);
      if (!Number.isInteger(start) || start % 25 !== 0) return send(res, 400, 'start index must be a multipication of 25', fault);
      return send(res, 200, block.txids.slice(start, start + 25).map((id) => esploraTx(ledger, ledger.txs.get(id) as LedgerTx)), fault);
    }
  }
  return send(res, 404, 'not found', fault);
}

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function callRpc(ledger: Ledger, method: string, params: unknown[]): unknown {
  const hash = (v: unknown) => {
    if (typeof v !== 'string' || !HEX64.test(v)) throw new RpcError(-8, `${'blockhash'} must be of length 64 (not ${String(v).length}, for '${String(v)}')`);
    return v;
  };
  switch (method) {
    case 'getblockchaininfo': return coreBlockchainInfo(ledger);
    case 'getblockcount': return ledger.blocks.at(-1)?.height;
    case 'getbestblockhash': return ledger.blocks.at(-1)?.hash;
    case 'getblockhash': {
      const h = params[0];
      if (typeof h !== 'number' || !Number.isInteger(h)) throw new RpcError(-3, 'JSON value of type string is not of expected type number');
      const block = blockAt(ledger, h);
      if (!block) throw new RpcError(-8, 'Block height out of range');
      return block.hash;
    }
    case 'getblock': {
      const block = blockByHash(ledger, hash(params[0]));
      if (!block) throw new RpcError(-5, 'Block not found');
      const verbosity = params[1] === undefined ? 1 : Number(params[1]);
      if (verbosity === 0) throw new RpcError(-8, 'verbosity 0 (raw block) is not served by the sim');
      return coreBlock(ledger, block, verbosity >= 2 ? 2 : 1);
    }
    case 'getrawtransaction': {
      const id = params[0];
      if (typeof id !== 'string' || !HEX64.test(id)) throw new RpcError(-8, `parameter 1 must be hexadecimal string (not '${String(id)}')`);
      const tx = ledger.txs.get(id);
      if (!tx) throw new RpcError(-5, 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.');
      const verbose = params[1] === true || (typeof params[1] === 'number' && params[1] > 0);
      return verbose ? coreTx(ledger, tx, true) : tx.hex;
    }
    default: throw new RpcError(-32601, 'Method not found');
  }
}

async function rpc(ledger: Ledger, options: LedgerServerOptions, fault: LedgerFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (options.rpcAuth) {
    const expected = `Basic ${Buffer.from(`${options.rpcAuth.user}:${options.rpcAuth.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
  }
  const text = await readBody(req, 1 << 20);
  if (text === null) return send(res, 413, 'request too large', fault);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return send(res, 500, { result: null, error: { code: -32700, message: 'Parse error' }, id: null }, fault);
  }
  const one = (call: unknown): { status: number; reply: unknown } => {
    const c = call as { method?: unknown; params?: unknown; id?: unknown };
    const id = c?.id ?? null;
    if (typeof c?.method !== 'string') return { status: 400, reply: { result: null, error: { code: -32600, message: 'Invalid Request object' }, id } };
    try {
      const params = Array.isArray(c.params) ? c.params : [];
      return { status: 200, reply: { result: callRpc(ledger, c.method, params), error: null, id } };
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      return { status: err.code === -32601 ? 404 : 500, reply: { result: null, error: { code: err.code, message: err.message }, id } };
    }
  };
  if (Array.isArray(body)) return send(res, 200, body.map((c) => one(c).reply), fault);
  const { status, reply } = one(body);
  return send(res, status, reply, fault);
}
