import type { Command } from 'commander';
import { register as agency } from './agency.ts';
import { register as db } from './db.ts';
import { register as demo } from './demo.ts';
import { register as evalAnalyse } from './eval-analyse.ts';
import { register as evalCommand } from './eval.ts';
import { register as extract } from './extract.ts';
import { register as link } from './link.ts';
import { register as report } from './report.ts';
import { register as serve } from './serve.ts';
import { register as sim } from './sim.ts';
import { register as user } from './user.ts';
import { register as evalExtract } from './eval-extract.ts';

/** Every CLI command, one file each. Add yours here. */
export function registerCommands(program: Command): void {
  db(program);
  agency(program);
  demo(program);
  sim(program);
  extract(program);
  link(program);
  evalCommand(program);
  report(program);
  evalAnalyse(program);
  serve(program);
  user(program);
  evalExtract(program);
}
