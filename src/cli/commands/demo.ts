import type { Command } from 'commander';
import { runDemo } from '../demo/run.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo on the embedded database (what `npm start` does)')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--no-serve', 'stop after the pipeline instead of serving the console')
    .option('--json', 'machine-readable summary')
    .action(async (opts: { seed: string; serve: boolean; json?: boolean }, cmd: Command) => {
      await runDemo(cmd, { seed: Number(opts.seed), serve: opts.serve, json: opts.json ?? false });
    });
}
