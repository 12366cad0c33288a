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
import { register as crawl } from './crawl.ts';
import { register as captcha } from './captcha.ts';
import { register as evidence } from './evidence.ts';
import { register as importCommand } from './import.ts';
import { register as evalExtract } from './eval-extract.ts';

/** Every CLI command, one file each. Add yours here. */
export function registerCommands(program: Command): void {
  db(program);
  agency(program);
  demo(program);
  sim(program);
  crawl(program);
  captcha(program);
  evidence(program);
  importCommand(program);
  extract(program);
  link(program);
  evalCommand(program);
  report(program);
  evalAnalyse(program);
  serve(program);
  user(program);
  evalExtract(program);
}
