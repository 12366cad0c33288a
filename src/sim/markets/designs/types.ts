import type { SimDay, SimMarket } from '../../world/index.ts';
import type { MarketView } from '../view.ts';

export interface RenderContext {
  view: MarketView;
  market: SimMarket;
  /** The sim day the market shows. */
  day: SimDay;
  url: URL;
}

export type Rendered =
  | { status: number; html: string; contentType?: string }
  | { status: 302; location: string };

export interface LoginFormArgs {
  csrf: string;
  captchaUrl: string;
  error?: string;
}

/** One market design: its URL scheme, login form and page structure. */
export interface Design {
  /** Session cookie name (markets use their framework's default). */
  cookieName: string;
  /** Path (with query, if any) of the login form; the form POSTs to the same path. */
  loginPath: string;
  /** Path (with query, if any) that ends the session. */
  logoutPath: string;
  /** Form field names of the login form. */
  fields: { username: string; password: string; captcha: string; csrf: string };
  loginPage(market: SimMarket, day: SimDay, args: LoginFormArgs): string;
  /** A page for an authenticated visitor, or undefined for 404. */
  render(ctx: RenderContext): Rendered | undefined;
  notFound(market: SimMarket, day: SimDay): string;
}
