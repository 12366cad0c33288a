import { parentPort } from 'node:worker_threads';
import { analysePage, type LoginFieldNames } from './page.ts';

interface Request {
  id: number;
  body: Uint8Array;
  url: string;
  fields?: LoginFieldNames;
}

parentPort?.on('message', (m: Request) => {
  try {
    parentPort?.postMessage({ id: m.id, result: analysePage(Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), m.url, m.fields) });
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: (err as Error).message });
  }
});
parentPort?.postMessage({ ready: true });
