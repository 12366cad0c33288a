/** The benchmarks `npm run bench` runs, in order. Each prints one JSON document as its last stdout line. */
export interface Benchmark {
  name: string;
  file: string;
  args: string[];
  title: string;
  about: string;
  env?: Record<string, string>;
  timeoutSeconds: number;
}

export const BENCHMARKS: Benchmark[] = [
  {
    name: 'store',
    file: 'bench/store.bench.ts',
    args: ['--rows', '200000', '--batch', '1000'],
    title: 'Store: bulk insert of listing snapshots',
    about:
      'Rows/s inserting listing snapshots in multi-row batches through the one kysely path, on the embedded PGlite ' +
      '(on-disk data directory) and on PostgreSQL 15 (set PG_BENCH_URL, e.g. postgres://darkpatrol:darkpatrol@127.0.0.1:5432/postgres).',
    timeoutSeconds: 900,
  },
  {
    name: 'oprf',
    file: 'bench/oprf.bench.ts',
    args: [],
    title: 'De-confliction: OPRF evaluations and blinded matching',
    about: 'RFC 9497 ristretto255-SHA512 operations per second and the blinded matcher at scale.',
    timeoutSeconds: 900,
  },
  {
    name: 'link',
    file: 'bench/link.bench.ts',
    args: ['--seed', 'eval-1', '--scale', 'alphabay'],
    title: 'Link: identity resolution at AlphaBay scale',
    about:
      'Generates the sim world, loads it with ingestWorld (no crawl), resolves every account into identities and scores ' +
      'against ground truth (docs/linking.md). seconds.resolve = load + prepare + blocking + scoring + clustering.',
    timeoutSeconds: 7200,
  },
];
