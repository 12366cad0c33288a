export { Socks5Server, SocksReply } from './socks5.ts';
export type {
  Socks5ServerOptions,
  SocksAuthConfig,
  SocksConnectionLog,
  SocksReplyCode,
  SocksResolver,
  SocksRoute,
} from './socks5.ts';
export { onionOnlyResolver } from './onion-resolver.ts';
export type { OnionService } from './onion-resolver.ts';
