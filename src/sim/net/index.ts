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
export { circuitIdFor, proxyHeader, parseProxyHeader, PROXY_HEADER_MAX } from './proxy-protocol.ts';
export { proxyProtocolListener, circuitOf } from './proxy-listener.ts';
