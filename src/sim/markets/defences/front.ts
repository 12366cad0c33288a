// The anti-DDoS front (EndGame / Dream style) before everything a market serves: a new circuit waits in a queue
// page that refreshes itself (meta refresh), then solves an image CAPTCHA, and gets an access cookie that is valid
// only on the circuit it was issued to (the circuit id the proxy exports) and only for a while.
import type http from 'node:http';
import type { SimMarket } from '../../world/index.ts';
import type { Rng } from '../../world/index.ts';
import { h, page } from '../html.ts';
import type { AntiDdosOptions } from './options.ts';

/** What the front answers; the server sends it. undefined: the request passes to the market. */
export type FrontAnswer = { status: number; html: string; headers?: Record<string, string> };

interface Ticket {
  readyAt: number;
  captchaId?: string;
  created: number;
}

const MAX_TICKETS = 20_000;
const TICKET_TTL_MS = 15 * 60_000;
export const FRONT_PREFIX = '/ddos';

export class AntiDdosFront {
  readonly options: AntiDdosOptions;
  readonly #market: SimMarket;
  readonly #tokenRng: Rng;
  readonly #newCaptcha: () => string;
  readonly #answerOf: (id: string) => string | undefined;
  readonly #dropCaptcha: (id: string) => void;
  readonly #tickets = new Map<string, Ticket>();
  readonly #access = new Map<string, { circuit: string; expires: number }>();
  #passed = 0;

  constructor(p: { market: SimMarket; options: AntiDdosOptions; tokenRng: Rng; newCaptcha: () => string; answerOf: (id: string) => string | undefined; dropCaptcha: (id: string) => void }) {
    this.#market = p.market;
    this.options = p.options;
    this.#tokenRng = p.tokenRng;
    this.#newCaptcha = p.newCaptcha;
    this.#answerOf = p.answerOf;
    this.#dropCaptcha = p.dropCaptcha;
  }

  /** Access cookies issued so far (tests: one per circuit that got through). */
  get passed(): number {
    return this.#passed;
  }

  /** Ends every access (a front restart): every circuit queues again. */
  expireAll(): void {
    this.#access.clear();
    this.#tickets.clear();
  }

  /**
   * The front's answer to a request, or undefined when the circuit holds a valid access cookie. CAPTCHA images
   * (`/ddos/captcha/…`) are left to the server. `circuit` is the exported circuit id ("direct" without one).
   */
  handle(req: http.IncomingMessage, url: URL, circuit: string, cookies: Map<string, string>, body: string | undefined): FrontAnswer | undefined {
    const now = Date.now();
    if (url.pathname === `${FRONT_PREFIX}/verify` && req.method === 'POST') return this.#verify(circuit, new URLSearchParams(body ?? ''), now);
    const token = cookies.get(this.options.cookieName);
    const access = token ? this.#access.get(token) : undefined;
    if (access && access.circuit === circuit && access.expires > now) return undefined;
    if (access && access.expires <= now && token) this.#access.delete(token);
    let ticket = this.#tickets.get(circuit);
    if (ticket && now - ticket.created > TICKET_TTL_MS) {
      if (ticket.captchaId) this.#dropCaptcha(ticket.captchaId);
      this.#tickets.delete(circuit);
      ticket = undefined;
    }
    if (!ticket) {
      ticket = { readyAt: now + this.options.queueSeconds * 1000, created: now };
      this.#tickets.set(circuit, ticket);
      if (this.#tickets.size > MAX_TICKETS) this.#tickets.delete(this.#tickets.keys().next().value as string);
    }
    const target = url.pathname + url.search;
    if (now < ticket.readyAt) return { status: 200, html: this.#queuePage(Math.ceil((ticket.readyAt - now) / 1000)) };
    if (!ticket.captchaId || this.#answerOf(ticket.captchaId) === undefined) ticket.captchaId = this.#newCaptcha();
    return { status: 200, html: this.#captchaPage(ticket.captchaId, target) };
  }

  #verify(circuit: string, form: URLSearchParams, now: number): FrontAnswer {
    const ticket = this.#tickets.get(circuit);
    const back = safeReturn(form.get('return'));
    const expected = ticket?.captchaId ? this.#answerOf(ticket.captchaId) : undefined;
    const given = (form.get('captcha') ?? '').trim().toUpperCase();
    if (!ticket || now < ticket.readyAt || !expected || form.get('ticket') !== ticket.captchaId) {
      // No ticket on this circuit (another circuit's form, or an expired one): back into the queue.
      return { status: 302, html: '', headers: { location: back } };
    }
    this.#dropCaptcha(ticket.captchaId ?? '');
    if (given !== expected) {
      ticket.captchaId = this.#newCaptcha();
      return { status: 403, html: this.#captchaPage(ticket.captchaId, back, 'Wrong answer, please try again.') };
    }
    this.#tickets.delete(circuit);
    const token = this.#tokenRng.hex(20);
    this.#access.set(token, { circuit, expires: now + this.options.accessTtlMs });
    if (this.#access.size > MAX_TICKETS) this.#access.delete(this.#access.keys().next().value as string);
    this.#passed++;
    const maxAge = Math.floor(this.options.accessTtlMs / 1000);
    return { status: 302, html: '', headers: { location: back, 'set-cookie': `${this.options.cookieName}=${token}; Path=/; HttpOnly; Max-Age=${maxAge}` } };
  }

  #queuePage(seconds: number): string {
    const refresh = Math.max(1, Math.min(seconds, 30));
    return page({
      title: `${this.#market.name} - DDOS Protection`,
      head: `<meta http-equiv="refresh" content="${refresh}">\n<style>.queue{margin:3em auto;width:520px;border:2px solid gray;border-radius:5px;text-align:center}.ddos{background:#D0D9F2;padding:.5em;border-bottom:1px solid gray}</style>\n`,
      body: `<div class="queue">
<div class="ddos">DDOS Protection</div>
<div class="inner">
<p>You are in the queue to access ${h(this.#market.name)}.</p>
<p>Estimated wait: <span class="wait">${seconds}</span> seconds. This page will refresh automatically; do not reload it.</p>
<p class="small">Your place is kept for this Tor circuit only. Changing your circuit puts you at the end of the queue.</p>
</div>
</div>`,
    });
  }

  #captchaPage(captchaId: string, target: string, error?: string): string {
    return page({
      title: `${this.#market.name} - DDOS Protection`,
      head: '<style>.verifyHuman{margin:3em auto 0 auto;width:520px;border:2px solid gray;border-radius:5px}.ddos{text-align:center;padding:.5em 0;background:#D0D9F2;border-bottom:1px solid gray}.inner{padding:1em}</style>\n',
      body: `<div class="verifyHuman">
<form action="${FRONT_PREFIX}/verify" method="post">
<div class="ddos">DDOS Protection</div>
<div class="inner">
${error ? `<div class="iline error">${h(error)}</div>\n` : ''}<div class="iline">Please solve the following challenge:</div>
<input type="hidden" name="ticket" value="${h(captchaId)}">
<input type="hidden" name="return" value="${h(target)}">
<label for="captcha"><img alt="Captcha" class="captcha" src="${FRONT_PREFIX}/captcha/${h(captchaId)}.png"></label>
<input class="result" id="captcha" name="captcha" placeholder="captcha" title="Captcha, not case sensitive">
<div class="sdiv"><input name="Solve" type="submit" value="Solve"></div>
</div>
</form>
</div>`,
    });
  }
}

/** Only same-site paths go back into a Location header. */
function safeReturn(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !/[\r\n]/.test(value) ? value : '/';
}
