import { useState } from 'react';
import { Card, fmtDate, Loaded, Tlp, useApi } from '../ui.tsx';

interface CaptureMeta { capture: { id: number; url: string; kind: string; http_status: number | null; content_type: string | null; payload_sha256: string; block_sha256: string | null; payload_size: number; warc_file: string | null; warc_offset: number | null; warc_record_id: string | null; fetched_at: string; tlp: string } }

interface BytesPage { size: number; offset: number; length: number; contentType: string | null; contentEncoding: string | null; sha256: string; matchesRecordedDigest: boolean | null; hex: string }

const PAGE = 4096;

/**
 * The evidence viewer. The captured payload is hostile: it is shown only as the server's inert rendering (the text
 * of every element, other media as text or an image), inside an iframe with an empty sandbox whose own CSP forbids
 * every load — and beside it the raw bytes as a hex dump, so what the rendering shows can be checked against them.
 */
export function Evidence(props: { id: string }) {
  const [load] = useApi<CaptureMeta>(`/captures/${props.id}`);
  return (
    <Loaded load={load}>
      {({ capture: c }) => (
        <div className="page">
          <h1>Capture #{c.id} <Tlp tlp={c.tlp} /></h1>
          <Card>
            <dl className="meta">
              <dt>URL</dt><dd className="mono wrap">{c.url}</dd>
              <dt>fetched</dt><dd>{fmtDate(c.fetched_at)} · HTTP {c.http_status ?? '—'} · {c.content_type ?? '—'} · {c.payload_size} bytes</dd>
              <dt>payload SHA-256</dt><dd className="mono">{c.payload_sha256}</dd>
              <dt>WARC</dt><dd className="mono small">{c.warc_file ?? '—'} @ {c.warc_offset ?? '—'} {c.warc_record_id ?? ''}</dd>
            </dl>
          </Card>
          <div className="evidence-views">
            <Card title="Rendering (inert: text of every element; scripts and styles not run)">
              <iframe className="evidence-frame" sandbox="" referrerPolicy="no-referrer" src={`/api/captures/${c.id}/view`} title={`rendering of capture ${c.id}`} />
            </Card>
            <HexView id={c.id} />
          </div>
        </div>
      )}
    </Loaded>
  );
}

/** The payload as it was captured: offset, 16 bytes in hex, the same bytes as printable ASCII ('.' for others). */
function HexView(props: { id: number }) {
  const [offset, setOffset] = useState(0);
  const [load] = useApi<BytesPage>(`/captures/${props.id}/bytes?offset=${offset}&length=${PAGE}`);
  return (
    <Card title="Raw bytes (hex)" className="hex-card">
      <Loaded load={load}>
        {(b) => (
          <>
            <p className="small">
              {b.size} bytes · {b.contentType ?? 'no content type'}{b.contentEncoding ? ` · decoded from ${b.contentEncoding}` : ''} · SHA-256 <span className="mono">{b.sha256}</span>{' '}
              {b.matchesRecordedDigest === null ? '' : b.matchesRecordedDigest ? '(matches the recorded payload digest)' : '(DIFFERS from the recorded payload digest)'}
            </p>
            <div className="hex-nav">
              <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>◀ previous</button>
              <span className="small">bytes {b.size === 0 ? 0 : b.offset}–{b.offset + b.length} of {b.size}</span>
              <button type="button" disabled={b.offset + b.length >= b.size} onClick={() => setOffset(offset + PAGE)}>next ▶</button>
            </div>
            <pre className="hex-dump" aria-label="hex dump">{hexDump(b.hex, b.offset)}</pre>
          </>
        )}
      </Loaded>
    </Card>
  );
}

function hexDump(hex: string, start: number): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const row = hex.slice(i, i + 32);
    const bytes = row.match(/../g) ?? [];
    const ascii = bytes.map((h) => {
      const v = Number.parseInt(h, 16);
      return v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.';
    });
    lines.push(`${(start + i / 2).toString(16).padStart(8, '0')}  ${bytes.join(' ').padEnd(47)}  ${ascii.join('')}`);
  }
  return lines.join('\n');
}
