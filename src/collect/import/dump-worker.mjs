// Worker-thread entry of the seized-dump import's feed (dump-feed.ts): plain JavaScript so it starts under any
// loader, then the TypeScript source through tsx, as bin/darkpatrol.js does.
import { register } from 'tsx/esm/api';

register();
await import('./dump-worker-main.ts');
