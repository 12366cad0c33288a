// Worker-thread entry of the seized-dump import's feed (dump-feed.ts): plain JavaScript so it starts under any
// loader, then the TypeScript source through tsx's require hook, which transforms in this thread (its ESM hooks, as
// bin/darkpatrol.js uses, add a loader thread and a message round trip per module: ~0.1 CPU s more per import).
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
createRequire(import.meta.url)('./dump-worker-main.ts');
