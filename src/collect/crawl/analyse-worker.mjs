// Worker-thread entry of the page analyser (analyser.ts): plain JavaScript so it starts under any loader, then
// the TypeScript source through tsx, as bin/darkpatrol.js does.
import { register } from 'tsx/esm/api';

register();
await import('./analyse-worker-main.ts');
