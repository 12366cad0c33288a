import type { Command } from 'commander';
import { register as agency } from './agency.ts';
import { register as db } from './db.ts';
import { register as demo } from './demo.ts';
import { register as sim } from './sim.ts';

/** Every CLI command, one file each. Add yours here. */
export function registerCommands(program: Command): void {
  db(program);
  agency(program);
  demo(program);
  sim(program);
}
