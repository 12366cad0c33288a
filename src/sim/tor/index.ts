// A private Tor network on loopback (Debian's tor and tor-gencert) serving the sim's markets as real v3 onions.
export { freePort, startTorNetwork, torAvailable } from './network.ts';
export type { TorNetwork, TorNetworkOptions, TorServiceSpec } from './network.ts';
export { startSimTor } from './sim.ts';
export type { SimTorOptions } from './sim.ts';
export { watchTorStreams } from './control.ts';
export type { StreamWatch, TorStreamEvent } from './control.ts';
export { writeOnionServiceKeys } from './keys.ts';
