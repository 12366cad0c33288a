/** What every scanner gets: the scan text, resolved options, and bounded ways to report hits. */
import type { SelectorKind, SelectorMetaMap } from '../../domain/index.ts';

export type Hit = {
  [K in SelectorKind]: { kind: K; start: number; end: number; value: string; meta?: SelectorMetaMap[K]; raw?: string };
}[SelectorKind];

export interface ResolvedOptions {
  kinds: ReadonlySet<SelectorKind>;
  html: boolean | 'auto';
  maxInputLength: number;
  maxMatches: number;
  maxCandidatesPerScanner: number;
  maxPgpBlockChars: number;
  maxPgpBlocks: number;
  defaultCallingCode?: string;
  includePgpUidEmails: boolean;
  atHandlesAre?: 'telegram';
}

export class ScanContext {
  readonly hits: Hit[] = [];
  truncated = false;
  constructor(
    readonly text: string,
    readonly opts: ResolvedOptions,
  ) {}

  wants(kind: SelectorKind): boolean {
    return this.opts.kinds.has(kind);
  }

  get full(): boolean {
    return this.hits.length >= this.opts.maxMatches;
  }

  emit(hit: Hit): void {
    if (!this.wants(hit.kind)) return;
    if (this.full) {
      this.truncated = true;
      return;
    }
    this.hits.push(hit);
  }

  /** Runs `re` (global) over the text, calling `fn` per match, within the candidate budget. */
  each(re: RegExp, fn: (m: RegExpExecArray) => void): void {
    re.lastIndex = 0;
    let n = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(this.text)) !== null) {
      if (m[0].length === 0) re.lastIndex++;
      if (++n > this.opts.maxCandidatesPerScanner || this.full) {
        this.truncated = true;
        return;
      }
      fn(m);
    }
  }

  /** Lowercased text just before `pos` (same line and the line before), for context words. */
  before(pos: number, span = 48): string {
    return this.text.slice(Math.max(0, pos - span), pos).toLowerCase();
  }

  after(pos: number, span = 32): string {
    return this.text.slice(pos, pos + span).toLowerCase();
  }
}
