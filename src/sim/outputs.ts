// Adapter to the world's file outputs (Telegram exports, seized SQL dump, truth.json), written by sim-world.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildGroundTruth, type World } from './world/index.ts';

/** Writes the world's outputs into `dir`. Until the exporters land, only truth.json is written. */
export async function writeWorldOutputs(world: World, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'truth.json'), `${JSON.stringify(buildGroundTruth(world), null, 2)}\n`);
}
