/**
 * The blinded matcher: holds OPRF tokens against cases, never selectors and never the OPRF key. When two
 * agencies hold the same token, both get a notice naming the other's contact point — and nothing of the other's
 * case beyond that.
 */
export interface BlindedRegistration {
  agencyId: string;
  /** The registering agency's own case reference; only ever shown back to that agency. */
  caseRef: string;
  /** Contact point the other side is given on a hit. */
  contact: string;
  /** Hex of the 64-byte OPRF output. */
  token: string;
}

/** What one agency is told about an overlap. */
export interface BlindedNotice {
  to: string;
  /** The token id (first 128 bits, hex) so the agency can find which of its selectors matched. */
  tokenId: string;
  yourCaseRef: string;
  otherAgency: string;
  otherContact: string;
}

interface Entry {
  agencyId: string;
  caseRef: string;
  contact: string;
}

export class BlindedMatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlindedMatchError';
  }
}

/** Tokens are keyed by their first 16 bytes: collision odds at 10^8 tokens are below 2^-74. */
const TOKEN_ID_HEX = 32;

function tokenId(token: string): string {
  if (typeof token !== 'string' || !/^[0-9a-f]{128}$/i.test(token)) {
    throw new BlindedMatchError('token must be the 128-hex-character OPRF output');
  }
  return token.slice(0, TOKEN_ID_HEX).toLowerCase();
}

function checkText(name: string, v: string, max: number): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new BlindedMatchError(`${name} must be 1..${max} characters`);
}

export class BlindedMatcher {
  // Binary (latin1) 16-character keys and small-integer case numbers keep ten million tokens near 600 MB.
  private readonly byToken = new Map<string, number | number[]>();
  private readonly cases: Entry[] = [];
  private readonly caseIndex = new Map<string, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  private caseNo(e: Entry): number {
    const k = `${e.agencyId}\u0000${e.caseRef}`;
    let n = this.caseIndex.get(k);
    if (n === undefined) {
      n = this.cases.push(e) - 1;
      this.caseIndex.set(k, n);
    } else if (this.cases[n]!.contact !== e.contact) {
      this.cases[n] = e; // the latest contact point of a case wins
    }
    return n;
  }

  private listAt(key: string): number[] {
    const v = this.byToken.get(key);
    return v === undefined ? [] : typeof v === 'number' ? [v] : v;
  }

  /** Register a token for a case; returns notices for both sides of every overlap with another agency. */
  register(r: BlindedRegistration): BlindedNotice[] {
    checkText('agencyId', r.agencyId, 200);
    checkText('caseRef', r.caseRef, 200);
    checkText('contact', r.contact, 500);
    const id = tokenId(r.token);
    const key = Buffer.from(id, 'hex').toString('latin1');
    const entry: Entry = { agencyId: r.agencyId, caseRef: r.caseRef, contact: r.contact };
    const no = this.caseNo(entry);
    const list = this.listAt(key);
    const notices = this.noticesFor(id, entry, list.map((n) => this.cases[n]!));
    if (list.includes(no)) return notices;
    list.push(no);
    this.byToken.set(key, list.length === 1 ? no : list);
    this.count++;
    return notices;
  }

  /** Check a token without registering it: notices only for the asking agency. */
  probe(agencyId: string, token: string): Omit<BlindedNotice, 'yourCaseRef'>[] {
    const id = tokenId(token);
    return this.listAt(Buffer.from(id, 'hex').toString('latin1'))
      .map((n) => this.cases[n]!)
      .filter((e) => e.agencyId !== agencyId)
      .map((e) => ({ to: agencyId, tokenId: id, otherAgency: e.agencyId, otherContact: e.contact }));
  }

  unregister(agencyId: string, caseRef: string, token: string): boolean {
    const key = Buffer.from(tokenId(token), 'hex').toString('latin1');
    const no = this.caseIndex.get(`${agencyId}\u0000${caseRef}`);
    const list = this.listAt(key);
    if (no === undefined || !list.includes(no)) return false;
    const kept = list.filter((n) => n !== no);
    this.count--;
    if (kept.length === 0) this.byToken.delete(key);
    else this.byToken.set(key, kept.length === 1 ? kept[0]! : kept);
    return true;
  }

  /** Everything the matcher holds, for audits and for tests that prove no selector is stored. */
  *entries(): IterableIterator<{ tokenId: string; agencyId: string; caseRef: string; contact: string }> {
    for (const [key, v] of this.byToken) {
      const id = Buffer.from(key, 'latin1').toString('hex');
      for (const n of typeof v === 'number' ? [v] : v) yield { tokenId: id, ...this.cases[n]! };
    }
  }

  private noticesFor(id: string, entry: Entry, others: Entry[]): BlindedNotice[] {
    const notices: BlindedNotice[] = [];
    for (const o of others) {
      if (o.agencyId === entry.agencyId) continue;
      notices.push({ to: entry.agencyId, tokenId: id, yourCaseRef: entry.caseRef, otherAgency: o.agencyId, otherContact: o.contact });
      notices.push({ to: o.agencyId, tokenId: id, yourCaseRef: o.caseRef, otherAgency: entry.agencyId, otherContact: entry.contact });
    }
    return notices;
  }
}
