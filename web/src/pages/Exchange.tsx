import { useState } from 'react';
import { client, data, errorText, useCall } from '../client.ts';
import type { Me, Page } from '../api.ts';
import { Card, Empty, fmtDate, Loaded, Tlp } from '../ui.tsx';

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
type TlpLevel = (typeof TLPS)[number];
interface StixObject { type: string; id: string; name?: string; value?: string }
interface Signed { format: string; bundle: { id: string; objects: StixObject[] }; manifest: { producer: { agencyId: string; name: string }; created: string; tlp: TlpLevel; bundleId: string }; signature: { alg: string; keyId: string } }
interface Imported { id: number; bundleId: string; signer: { keyId: string; agencyId: string }; tlp: TlpLevel; summary: { objects: number; accounts: number; selectors: number; warnings: string[] }; selectors: { kind: string; value: string; tlp: string }[]; accounts: { handle: string; source: string; tlp: string }[] }
interface SeizedMarket { id: number; slug: string; name: string; accounts: number; orders: number }
interface SplitPackage { country: string; file: string; fileSha256: string; bytes: number; objects: number; evidence: number; buyers: number; vendors: number; orders: number; messages: number; selectors: number; package: Signed }
interface SplitResult { market: { id: number; slug: string; name: string }; created: string; tlp: TlpLevel; keyId: string; index: unknown; packages: SplitPackage[]; unplaced: { buyers: number; vendors: number; orders: number }; warnings: string[] }
interface ImportRow { id: number; tlp: TlpLevel; bundle_id: string; signer_agency: string; signer_key_id: string; via: string; summary: { objects: number; accounts: number; selectors: number }; imported_at: string }

/** Signed STIX 2.1 packages: build and preview what leaves, download it; import one with its signature check. */
export function Exchange(props: { me: Me }) {
  const [n, setN] = useState(0);
  return (
    <div className="page">
      <h1>Exchange</h1>
      <p className="muted">Packages are STIX 2.1 bundles signed with your agency's Ed25519 key. A package is marked at least as strictly as its rows; rows your marking would not allow are left out and listed.</p>
      <div className="grid2">
        <ExportPackage />
        <ImportPackage onImported={() => setN((x) => x + 1)} />
      </div>
      <Imports refresh={n} />
      <SeizedSplit />
      <Keys me={props.me} />
    </div>
  );
}

function ExportPackage() {
  const [f, setF] = useState<{ kind: 'vendor' | 'identity' | 'case'; id: string; tlp: TlpLevel | '' }>({ kind: 'identity', id: '', tlp: '' });
  const [pkg, setPkg] = useState<{ package: Signed; omitted: string[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const build = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setPkg(null);
    try {
      setPkg(await data(client.POST('/api/packages/export', { body: { kind: f.kind, id: Number(f.id), ...(f.tlp ? { tlp: f.tlp } : {}) } })));
    } catch (err) {
      setError(errorText(err));
    }
  };
  const byType = pkg ? Object.entries(pkg.package.bundle.objects.reduce<Record<string, number>>((a, o) => ({ ...a, [o.type]: (a[o.type] ?? 0) + 1 }), {})) : [];
  const download = () => {
    if (!pkg) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(pkg.package, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${pkg.package.manifest.bundleId}.signed.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Card title="Build a package">
      <form className="stack" onSubmit={build}>
        <label>Subject<select aria-label="subject kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.target.value as typeof f.kind })}><option value="identity">identity</option><option value="vendor">vendor account</option><option value="case">case</option></select></label>
        <label>Id<input aria-label="subject id" type="number" min={1} value={f.id} onChange={(e) => setF({ ...f, id: e.target.value })} required /></label>
        <label>Marking (empty = the strictest of its rows)<select aria-label="package tlp" value={f.tlp} onChange={(e) => setF({ ...f, tlp: e.target.value as TlpLevel | '' })}><option value="">as its rows</option>{TLPS.map((t) => <option key={t}>{t}</option>)}</select></label>
        <button type="submit" disabled={!f.id}>Preview</button>
      </form>
      {error && <div className="state error" role="alert">{error}</div>}
      {pkg && (
        <div className="preview" aria-label="package preview">
          <h3>What leaves: <Tlp tlp={pkg.package.manifest.tlp} /> signed by {pkg.package.manifest.producer.name} (key {pkg.package.signature.keyId.slice(0, 16)}…)</h3>
          <table><tbody>{byType.map(([t, c]) => <tr key={t}><td>{t}</td><td className="num">{c}</td></tr>)}</tbody></table>
          {pkg.omitted.length > 0 && <p className="muted small">Left out ({pkg.omitted.length}): {pkg.omitted.slice(0, 20).join(', ')}</p>}
          <ul className="small objects">{pkg.package.bundle.objects.filter((o) => o.name || o.value).slice(0, 30).map((o) => <li key={o.id}><span className="muted">{o.type}</span> {o.name ?? o.value}</li>)}</ul>
          <button onClick={download}>Download signed package</button>
        </div>
      )}
    </Card>
  );
}

/** Saves text as a file in the browser (the package or index exactly as the API served it). */
function saveText(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const sizeOf = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** The seized-data split (Hansa / DisrupTor): a seized market of the agency → one signed package per country and the signed index. */
function SeizedSplit() {
  const [markets] = useCall(() => data<{ items: SeizedMarket[] }>(client.GET('/api/exchange/seized-markets')), 'seized-markets');
  const [f, setF] = useState<{ marketId: string; tlp: TlpLevel }>({ marketId: '', tlp: 'AMBER' });
  const [busy, setBusy] = useState(false);
  const [split, setSplit] = useState<SplitResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const build = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setSplit(null);
    setBusy(true);
    try {
      setSplit(await data<SplitResult>(client.POST('/api/exchange/split', { body: { marketId: Number(f.marketId), tlp: f.tlp } })));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  // The file as `darkpatrol package split-seized` writes it: its SHA-256 is the one in the signed index.
  const fileText = (p: SplitPackage) => `${JSON.stringify(p.package, null, 2)}\n`;
  return (
    <Card title="Seized-data split per country">
      <p className="muted small">Splits a seized market your agency imported (a database dump) into one signed package per country — its buyers (by the country their orders shipped to) and vendors (by ships-from), their orders, selectors and messages, and the digests of the evidence they come from — with a signed index of the files.</p>
      <Loaded load={markets}>
        {(m) => m.items.length ? (
          <form className="row" onSubmit={build}>
            <label>Seized market<select aria-label="seized market" value={f.marketId} onChange={(e) => setF({ ...f, marketId: e.target.value })} required><option value="">choose…</option>{m.items.map((x) => <option key={x.id} value={x.id}>{x.name} ({x.accounts} accounts, {x.orders} orders)</option>)}</select></label>
            <label>Marking<select aria-label="split tlp" value={f.tlp} onChange={(e) => setF({ ...f, tlp: e.target.value as TlpLevel })}>{TLPS.map((t) => <option key={t}>{t}</option>)}</select></label>
            <button type="submit" disabled={!f.marketId || busy}>Build the split</button>
          </form>
        ) : <Empty>Your agency holds no seized market: import a seized database dump first (Collection → import).</Empty>}
      </Loaded>
      {busy && <div className="state loading" role="status">Splitting and signing…</div>}
      {error && <div className="state error" role="alert">{error}</div>}
      {split && (split.packages.length ? (
        <div className="split-index" aria-label="split index">
          <h3>{split.market.name}: {split.packages.length} packages <Tlp tlp={split.tlp} /> signed with key {split.keyId.slice(0, 16)}…</h3>
          <table>
            <thead><tr><th>country</th><th className="num">buyers</th><th className="num">vendors</th><th className="num">orders</th><th className="num">messages</th><th className="num">selectors</th><th className="num">objects</th><th className="num">evidence digests</th><th className="num">size</th><th>file SHA-256</th><th /></tr></thead>
            <tbody>{split.packages.map((p) => (
              <tr key={p.country}>
                <td>{p.country}</td><td className="num">{p.buyers}</td><td className="num">{p.vendors}</td><td className="num">{p.orders}</td><td className="num">{p.messages}</td><td className="num">{p.selectors}</td><td className="num">{p.objects}</td><td className="num">{p.evidence}</td><td className="num">{sizeOf(p.bytes)}</td>
                <td className="mono small" title={p.fileSha256}>{p.fileSha256.slice(0, 16)}…</td>
                <td><button className="small secondary" aria-label={`download ${p.file}`} onClick={() => saveText(`${split.market.slug}-${p.file}`, fileText(p))}>Download</button></td>
              </tr>
            ))}</tbody>
          </table>
          <p className="small">Not in any package: {split.unplaced.buyers} buyer(s) without orders, {split.unplaced.vendors} vendor(s) without ships-from, {split.unplaced.orders} order(s) without a buyer country.</p>
          {split.warnings.length > 0 && <p className="muted small">Warnings ({split.warnings.length}): {split.warnings.slice(0, 5).join('; ')}</p>}
          <button onClick={() => saveText(`${split.market.slug}-index.json`, `${JSON.stringify(split.index, null, 2)}\n`)}>Download signed index</button>
        </div>
      ) : <Empty>Nothing to split.</Empty>)}
    </Card>
  );
}

function ImportPackage(props: { onImported: () => void }) {
  const [result, setResult] = useState<Imported | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onFile = async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setResult(null);
    setError(null);
    if (!file) return;
    try {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(await file.text()) as Record<string, unknown>;
      } catch {
        throw new Error('not a JSON file');
      }
      setResult(await data<Imported>(client.POST('/api/packages/import', { body })));
      props.onImported();
    } catch (err) {
      setError(errorText(err));
    }
    e.target.value = '';
  };
  return (
    <Card title="Import a signed package">
      <label className="stack">Package file (.json)<input aria-label="package file" type="file" accept="application/json,.json" onChange={onFile} /></label>
      {error && <div className="state error" role="alert">Rejected: {error}</div>}
      {result && (
        <div className="import-result" role="status">
          <p className="ok">Signature verified: agency {result.signer.agencyId}, key {result.signer.keyId.slice(0, 16)}… <Tlp tlp={result.tlp} /></p>
          <p className="small">{result.summary.objects} objects, {result.summary.accounts} accounts, {result.summary.selectors} selectors{result.summary.warnings.length ? `, ${result.summary.warnings.length} warning(s)` : ''}.</p>
          <ul className="small">{result.accounts.slice(0, 10).map((a, i) => <li key={i}>{a.handle} <span className="muted">@{a.source}</span></li>)}</ul>
        </div>
      )}
      <p className="muted small">Only packages signed by a key your agency trusts are accepted; unsigned, altered or unknown-key packages are refused with the reason.</p>
    </Card>
  );
}

function Imports(props: { refresh: number }) {
  const [load] = useCall(() => data<Page<ImportRow>>(client.GET('/api/packages/imports', { params: { query: { limit: 50, offset: 0 } } })), `imports-${props.refresh}`);
  return (
    <Card title="Imported packages">
      <Loaded load={load}>
        {(p) => p.items.length ? (
          <table className="imports"><thead><tr><th>bundle</th><th>signer</th><th>via</th><th className="num">objects</th><th>imported</th><th>marking</th></tr></thead>
            <tbody>{p.items.map((r) => <tr key={r.id}><td className="mono small">{r.bundle_id}</td><td>{r.signer_agency} <span className="muted small mono">{r.signer_key_id.slice(0, 12)}</span></td><td>{r.via}</td><td className="num">{r.summary.objects}</td><td className="small">{fmtDate(r.imported_at)}</td><td><Tlp tlp={r.tlp} /></td></tr>)}</tbody></table>
        ) : <Empty>No packages imported yet.</Empty>}
      </Loaded>
    </Card>
  );
}

/** The agency's own public key (to give partners) and, for admins, the partner keys it trusts. */
function Keys(props: { me: Me }) {
  const [own] = useCall(() => data<{ keyId: string; jwk: Record<string, unknown> }>(client.GET('/api/exchange/key')), 'key');
  const admin = props.me.role === 'admin';
  const [trusted, reload] = useCall(() => (admin ? data<{ items: { id: number; partner: string; key_id: string; note: string; created_at: string }[] }>(client.GET('/api/exchange/trusted-keys')) : Promise.resolve({ items: [] })), 'trusted');
  const [jwk, setJwk] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await data(client.POST('/api/exchange/trusted-keys', { body: { jwk: JSON.parse(jwk) as Record<string, unknown>, note: '' } }));
      setJwk('');
      reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Card title="Keys">
      <Loaded load={own}>{(k) => <div><h3>Your agency's public key (give it to partners)</h3><pre className="mono small wrap own-key">{JSON.stringify(k.jwk)}</pre></div>}</Loaded>
      {admin ? (
        <>
          <h3>Trusted partner keys</h3>
          <Loaded load={trusted}>
            {(t) => t.items.length ? (
              <table><tbody>{t.items.map((k) => <tr key={k.id}><td>{k.partner}</td><td className="mono small">{k.key_id}</td><td className="small">{fmtDate(k.created_at)}</td><td><button className="small secondary" onClick={() => void data(client.DELETE('/api/exchange/trusted-keys/{id}', { params: { path: { id: k.id } }, body: {} })).then(reload, (e: unknown) => setError(errorText(e)))}>Remove</button></td></tr>)}</tbody></table>
            ) : <Empty>No partner keys trusted: imports will be refused.</Empty>}
          </Loaded>
          <form className="stack" onSubmit={add}>
            <label>Partner public key (JWK)<textarea aria-label="partner jwk" rows={3} value={jwk} onChange={(e) => setJwk(e.target.value)} /></label>
            <button type="submit" disabled={!jwk.trim()}>Trust key</button>
            {error && <div className="state error" role="alert">{error}</div>}
          </form>
        </>
      ) : <p className="muted small">Trusted partner keys are managed by your agency's administrators.</p>}
    </Card>
  );
}
