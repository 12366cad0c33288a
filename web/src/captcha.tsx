import { useState } from 'react';
import { api } from './api.ts';

/** A parked CAPTCHA as GET /api/captchas lists it. */
export interface CaptchaTask { id: string; marketName: string | null; url: string; createdAt: string; status: string }

/**
 * One parked CAPTCHA: its image (an <img> of the server's raster image, never the market's HTML), the URL it was
 * served at, the answer field and the error if the answer is refused (e.g. 409: someone answered it meanwhile).
 * Used by the CAPTCHA queue and inline in a paused crawl's row on the Collection screen.
 */
export function CaptchaAnswer(props: { task: CaptchaTask; onSolved: () => void }) {
  const { task } = props;
  const [answer, setAnswer] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [imageFailed, setImageFailed] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api(`/captchas/${encodeURIComponent(task.id)}/solve`, { method: 'POST', body: { answer } });
      props.onSolved();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="captcha-answer" data-captcha-id={task.id}>
      {imageFailed ? <div className="state error" role="alert">The CAPTCHA image could not be loaded.</div> : <img className="captcha-img" src={`/api/captchas/${encodeURIComponent(task.id)}/image`} alt={`CAPTCHA ${task.id}`} onError={() => setImageFailed(true)} />}
      <div className="muted small mono">{task.url}</div>
      <form onSubmit={submit} className="inline">
        <input aria-label={`answer for captcha ${task.id}`} value={answer} onChange={(e) => setAnswer(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={busy || !answer.trim()}>{busy ? 'Sending…' : 'Solve'}</button>
      </form>
      {error && <div className="state error" role="alert">{error}</div>}
    </div>
  );
}
