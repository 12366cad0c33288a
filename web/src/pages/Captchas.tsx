import { CaptchaAnswer, type CaptchaTask } from '../captcha.tsx';
import { Card, Empty, Loaded, useApi } from '../ui.tsx';

export function Captchas() {
  const [load, reload] = useApi<{ items: CaptchaTask[] }>('/captchas');
  return (
    <div className="page">
      <h1>CAPTCHA queue</h1>
      <p className="muted">The crawler parks here when a market asks for a CAPTCHA; your answer lets it continue. A paused crawl's row on the Collection screen shows its own CAPTCHA too.</p>
      <Loaded load={load}>
        {(d) => d.items.length ? <div className="captchas">{d.items.map((t) => <Card key={t.id} title={t.marketName ?? 'unknown market'}><CaptchaAnswer task={t} onSolved={reload} /></Card>)}</div> : <Empty>Nothing waiting. The crawler is not blocked.</Empty>}
      </Loaded>
    </div>
  );
}
