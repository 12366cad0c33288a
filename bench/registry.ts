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
    args: ['--tokens', '10000000'],
    title: 'De-confliction: OPRF evaluations and blinded matching',
    about: 'RFC 9497 ristretto255-SHA512 operations per second (single thread), and the blinded matcher filled with up to 10 million tokens (stops at --fill-seconds; the probe figure names the count reached).',
    timeoutSeconds: 1500,
  },
  {
    name: 'link',
    file: 'bench/link.bench.ts',
    args: ['--seed', 'eval-1', '--scale', 'alphabay', '--fractions', '0.25,0.5,1'],
    title: 'Link: identity resolution at AlphaBay scale',
    about:
      'At 1/4, 1/2 and full AlphaBay in one run: generates each sim world and loads it with ingestWorld (no crawl) in a ' +
      'child process, then resolves every account into identities in a fresh child (the world is not in its heap) and scores ' +
      'against ground truth (docs/linking.md). seconds.resolve = load + prepare + blocking + scoring + clustering; peakRssMb is ' +
      'the resolving process; growth gives each phase\'s time ratio and exponent k (seconds ∝ accounts^k) between sizes.',
    timeoutSeconds: 7200,
  },
  {
    name: 'extract',
    file: 'bench/extract.bench.ts',
    args: ['--rounds', '50', '--bs4-rounds', '10'],
    title: 'Extraction: pages/s, our adapters vs BeautifulSoup + lxml',
    about: 'The Agora adapter and the generic extractor over the Agora fixture pages, side by side with an equivalent BeautifulSoup/lxml extractor (Debian python3-bs4, python3-lxml) on the same pages.',
    timeoutSeconds: 1800,
  },
  {
    name: 'collect',
    file: 'bench/collect.bench.ts',
    args: ['--scale', 'demo', '--dump-scale', 'medium'],
    title: 'Collect: crawl-to-evidence and dump import vs MariaDB',
    about: 'Crawling the sim through its SOCKS5 proxy into WARC evidence (pages/s, MB/s), and the seized-dump importer (rows/s, peak RSS) beside loading the same dump into a real MariaDB server.',
    timeoutSeconds: 1800,
  },
  {
    name: 'dump',
    file: 'bench/collect-dump.ts',
    args: ['--scale', 'large'],
    title: 'Collect: seized-dump import vs MariaDB (PGlite and PostgreSQL)',
    about:
      'The sim\'s seized market as a mysqldump file, imported by importMysqlDump into the embedded PGlite and (PG_BENCH_URL or ' +
      'DATABASE_URL) a scratch PostgreSQL 15 database, beside `mariadb < dump.sql` into a private mariadbd in the same run. rowsPerSec ' +
      'is the dump\'s row count (every table) over wall seconds for all three; vsMariadb is the ratio; peak RSS per import process; ' +
      '`imported` summarises what was imported (counts and a digest of the selectors), so runs before and after a change compare.',
    timeoutSeconds: 3600,
  },
  {
    name: 'api',
    file: 'bench/api.bench.ts',
    args: ['--duration', '10', '--connections', '16'],
    title: 'API latency under concurrent load',
    about:
      'autocannon against 127.0.0.1 on a database with AlphaBay-scale row counts (40,000 vendors, 350,000 listings and snapshots, ' +
      '500,000 feedback): p50/p95/p99 and req/s per route, on the embedded PGlite and, with PG_BENCH_URL, on a scratch database of ' +
      'that PostgreSQL 15 server. Every request is authorised and audited; the audit chain is verified afterwards.',
    timeoutSeconds: 3600,
  },
  {
    name: 'deconflict',
    file: 'bench/deconflict.bench.ts',
    args: ['--registered', '10000000'],
    title: 'De-confliction matches at 10 million registered selectors',
    about: 'Selector matches/s against 10M registered selectors on PostgreSQL (PG_BENCH_URL) and 1M on PGlite.',
    timeoutSeconds: 2400,
  },
  {
    name: 'money',
    file: 'bench/money.bench.ts',
    args: ['--txs', '1000000', '--max-seconds', '2400'],
    title: 'Follow the money: RPC ingest and trace at a million transactions',
    about:
      'Transactions/s ingested from the sim ledger over its Bitcoin Core RPC endpoint (bench/money-node.ts, its own process) into the chain graph, ' +
      'clustered and traced (haircut, every vendor with a known address), beside plain JSON.parse of the same RPC answers in the same run; ' +
      'the graph heap and bytes per transaction at 100 000 transactions and at the end, and the client max RSS.',
    env: { NODE_OPTIONS: '--expose-gc --max-old-space-size=8192' },
    timeoutSeconds: 3600,
  },
];
