// Public face of the simulated dark web: the world model and generator, and serving it over loopback.
export * from './world/index.ts';
export {
  startSim,
  serveWorld,
  describeSim,
  defaultProxyPassword,
  DEFAULT_PROXY_USERNAME,
  DEFAULT_SIM_PORT_BASE,
} from './serve.ts';
export type {
  ProxyAuthOption,
  ProxyInfo,
  ServeWorldOptions,
  ServedMarket,
  ServedCredential,
  ServedDefences,
  SimHandle,
  SimServing,
  StartSimOptions,
} from './serve.ts';
export * from './exports/index.ts';
export {
  MarketServer,
  MarketView,
  SimClock,
  DESIGNS,
  TEST_HOOKS_ENV,
  EXIT_SCAM_MAINTENANCE_DAYS,
  marketState,
  isOnline,
  formatPrice,
  displayAmount,
  maskBuyer,
  countryName,
  CATEGORY_LABELS,
  renderPgpBlock,
  renderCaptchaPng,
  CAPTCHA_ALPHABET,
  resolveDefences,
  ALL_DEFENCES,
  PhishingClone,
  MirrorSchedule,
  marketSigningKey,
  accountTwoFactorKey,
  FRONT_PREFIX,
  TWO_FACTOR_FORMS,
} from './markets/index.ts';
export type { Design, FaultOptions, LoginEvent, MarketState, PgpDamage, RateLimitOptions, DefenceSwitches, MarketDefences, CloneKind, CloneCapture } from './markets/index.ts';
export { buildPgpSecretKey } from './pgp/index.ts';
export { Socks5Server, SocksReply, onionOnlyResolver, circuitIdFor } from './net/index.ts';
export type { OnionService, Socks5ServerOptions, SocksAuthConfig, SocksConnectionLog, SocksReplyCode, SocksResolver, SocksRoute } from './net/index.ts';
export * from './tor/index.ts';
