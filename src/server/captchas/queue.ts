import type { Tlp } from '../../domain/tlp.ts';

/**
 * The seam to the crawler's CAPTCHA hand-off (issue 5: listCaptchas / getCaptchaImage / solveCaptcha in
 * src/collect). The server depends only on this interface; `serve` wires the collect implementation in.
 */
export interface CaptchaTask {
  id: string;
  agencyId: number;
  tlp: Tlp;
  marketId: number | null;
  marketName: string | null;
  url: string;
  createdAt: Date;
  status: 'pending' | 'solved' | 'expired';
}

export interface CaptchaQueue {
  list(filter: { agencyId: number; status?: CaptchaTask['status'] }): Promise<CaptchaTask[]>;
  get(id: string): Promise<CaptchaTask | null>;
  image(id: string): Promise<{ contentType: string; bytes: Uint8Array } | null>;
  /** Hands the answer to the waiting crawler; false when the task is no longer pending. */
  solve(id: string, answer: string, by: { userId: number | null; actor: string }): Promise<boolean>;
}

/** An in-process queue: for the demo and tests until the crawler's persistent queue is wired in. */
export class MemoryCaptchaQueue implements CaptchaQueue {
  private readonly tasks = new Map<string, CaptchaTask & { image: { contentType: string; bytes: Uint8Array }; answer?: string }>();
  private seq = 0;

  add(t: Omit<CaptchaTask, 'id' | 'status' | 'createdAt'> & { image: { contentType: string; bytes: Uint8Array } }): CaptchaTask {
    const id = `c${++this.seq}`;
    const task = { ...t, id, status: 'pending' as const, createdAt: new Date() };
    this.tasks.set(id, task);
    return this.strip(task);
  }
  answerOf(id: string): string | undefined {
    return this.tasks.get(id)?.answer;
  }
  async list(f: { agencyId: number; status?: CaptchaTask['status'] }): Promise<CaptchaTask[]> {
    return [...this.tasks.values()].filter((t) => t.agencyId === f.agencyId && (!f.status || t.status === f.status)).map((t) => this.strip(t));
  }
  async get(id: string): Promise<CaptchaTask | null> {
    const t = this.tasks.get(id);
    return t ? this.strip(t) : null;
  }
  async image(id: string) {
    return this.tasks.get(id)?.image ?? null;
  }
  async solve(id: string, answer: string): Promise<boolean> {
    const t = this.tasks.get(id);
    if (!t || t.status !== 'pending') return false;
    t.status = 'solved';
    t.answer = answer;
    return true;
  }
  private strip(t: CaptchaTask & { image?: unknown; answer?: string }): CaptchaTask {
    const { id, agencyId, tlp, marketId, marketName, url, createdAt, status } = t;
    return { id, agencyId, tlp, marketId, marketName, url, createdAt, status };
  }
}
