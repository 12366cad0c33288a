import { useState } from 'react';
import { api } from '../api.ts';
import { Card, Empty, Loaded, useApi } from '../ui.tsx';

interface Task { id: string; marketName: string | null; url: string; createdAt: string; status: string }

export function Captchas() {
  const [load, reload] = useApi<{ items: Task[] }>('/captchas');
  return (
    <div className="page">
      <h1>CAPTCHA queue</h1>
      <p className="muted">The crawler parks here when a market asks for a CAPTCHA; your answer lets it continue.</p>
      <Loaded load={load}>
        {(d) => d.items.length ? <div className="captchas">{d.items.map((t) => <CaptchaCard key={t.id} task={t} onSolved={reload} />)}</div> : <Empty>Nothing waiting. The crawler is not blocked.</Empty>}
      </Loaded>
    </div>
  );
}

function CaptchaCard(props: { task: Task; onSolved: () => void }) {
  const [answer, setAnswer] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/captchas/${encodeURIComponent(props.task.id)}/solve`, { method: 'POST', body: { answer } });
      props.onSolved();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Card title={props.task.marketName ?? 'unknown market'}>
      <img className="captcha-img" src={`/api/captchas/${encodeURIComponent(props.task.id)}/image`} alt={`CAPTCHA ${props.task.id}`} />
      <div className="muted small mono">{props.task.url}</div>
      <form onSubmit={submit} className="inline">
        <input aria-label={`answer for captcha ${props.task.id}`} value={answer} onChange={(e) => setAnswer(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={!answer.trim()}>Solve</button>
      </form>
      {error && <div className="state error" role="alert">{error}</div>}
    </Card>
  );
}
