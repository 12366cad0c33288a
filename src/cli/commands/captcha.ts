import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CaptchaError, getCaptchaImage, listCaptchas, solveCaptcha } from '../../collect/index.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

function id(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`CAPTCHA id must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const clear = <T>(p: Promise<T>) => p.catch((e: unknown) => { throw e instanceof CaptchaError ? new UserError(e.message) : e; });

export function register(program: Command): void {
  const captcha = program.command('captcha').description('CAPTCHAs parked by the crawler for a human to solve (no CAPTCHA breaking)');
  captcha
    .command('list')
    .description('challenges waiting for a human')
    .option('--all', 'include solved and expired ones')
    .option('--json', 'machine-readable output')
    .action(async (o: { all?: boolean; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const rows = await listCaptchas(store.db, { all: o.all });
        emit(o.json ?? false, rows, () => rows.length ? table(['id', 'market', 'account', 'status', 'image', 'parked'], rows.map((r) => [r.id, r.market, r.account, r.status, `${r.imageType} ${r.imageBytes} B`, r.createdAt.toISOString()])) : 'no CAPTCHA is waiting');
      });
    });
  captcha
    .command('show <id>')
    .description('write the challenge image to a file (or stdout with --out -) to look at it')
    .option('--out <file>', 'where to write the image', 'captcha.png')
    .action(async (text: string, o: { out: string }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const img = await clear(getCaptchaImage(store.db, id(text)));
        if (o.out === '-') process.stdout.write(img.image);
        else {
          writeFileSync(o.out, img.image);
          process.stdout.write(`CAPTCHA #${text} (${img.status}, ${img.type}) written to ${o.out}\n`);
        }
      });
    });
  captcha
    .command('solve <id> <answer>')
    .description('give the answer; the paused crawl logs in with it and resumes')
    .option('--json', 'machine-readable output')
    .action(async (text: string, answer: string, o: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        await clear(solveCaptcha(store.db, id(text), answer, `cli:${process.env.USER ?? 'unknown'}`));
        emit(o.json ?? false, { id: id(text), status: 'solved' }, () => `CAPTCHA #${text} solved; resume the crawl (darkpatrol crawl run <market> --job <id>) if it is not waiting`);
      });
    });
}
