import type { Command } from 'commander';
import { runDemo } from '../demo/run.ts';
import { UserError } from '../errors.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('the end-to-end demo (what `npm start` does) on its own embedded database, or on an empty PostgreSQL database given by --database-url / $DATABASE_URL (a database holding data is refused): sim → crawl → evidence → extract → link → analyse → console')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--scale <preset>', 'tiny (fast) or demo', 'tiny')
    .option('--dir <dir>', 'where the demo keeps its database and evidence (recreated each run)', '.darkpatrol/demo')
    .option('--port <n>', 'console port on 127.0.0.1', '8080')
    .option('--no-serve', 'stop after the pipeline instead of serving the console')
    .option('--json', 'machine-readable summary')
    .option('--progress-every <ms>', 'print a progress line for the running step this often (terminal, pipe or log alike)', '5000')
    .action(async (o: { seed: string; scale: string; dir: string; port: string; serve: boolean; json?: boolean; progressEvery: string }, cmd: Command) => {
      const progressEveryMs = Number(o.progressEvery);
      if (!Number.isInteger(progressEveryMs) || progressEveryMs < 100) throw new UserError('--progress-every must be a whole number of milliseconds, at least 100');
      if (o.scale !== 'tiny' && o.scale !== 'demo') throw new UserError('--scale must be tiny or demo');
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError('--port must be a port number');
      await runDemo(cmd, { seed: Number(o.seed), serve: o.serve, json: o.json ?? false, dir: o.dir, scale: o.scale, port, progressEveryMs });
    });
}
