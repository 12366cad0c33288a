// Public face of the simulated market servers.
export { MarketServer, TEST_HOOKS_ENV } from './server.ts';
export type { FaultOptions, LoginEvent, MarketServerOptions, RateLimitOptions } from './server.ts';
export { SimClock } from './clock.ts';
export { marketState, isOnline, EXIT_SCAM_MAINTENANCE_DAYS } from './lifecycle.ts';
export type { MarketState } from './lifecycle.ts';
export { MarketView } from './view.ts';
export { DESIGNS } from './designs/index.ts';
export type { Design } from './designs/index.ts';
export { formatPrice, displayAmount, maskBuyer } from './format.ts';
export { renderPgpBlock, armoredKey } from './pgp-block.ts';
export type { PgpDamage } from './pgp-block.ts';
export { renderCaptchaPng, captchaText, CAPTCHA_ALPHABET } from './captcha.ts';
