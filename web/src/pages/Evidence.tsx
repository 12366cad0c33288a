import { Card, fmtDate, Loaded, Tlp, useApi } from '../ui.tsx';

interface CaptureMeta { capture: { id: number; url: string; kind: string; http_status: number | null; content_type: string | null; payload_sha256: string; block_sha256: string | null; payload_size: number; warc_file: string | null; warc_offset: number | null; warc_record_id: string | null; fetched_at: string; tlp: string } }

/**
 * The evidence viewer. The captured page is hostile: it is shown only as the server's sanitised document, inside an
 * iframe with an empty sandbox (no scripts, no forms, unique origin) whose own CSP forbids every load.
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
          <Card title="Sanitised page (scripts, styles, images and links removed)">
            <iframe className="evidence-frame" sandbox="" referrerPolicy="no-referrer" src={`/api/captures/${c.id}/view`} title={`sanitised capture ${c.id}`} />
          </Card>
        </div>
      )}
    </Loaded>
  );
}
