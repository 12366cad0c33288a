import type { Command } from 'commander';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';

export interface DemoOptions {
  seed: number;
  serve: boolean;
  json: boolean;
}

/** The main job: every stage that exists, end to end, on the embedded database. Stages are added as they land. */
export async function runDemo(cmd: Command, opts: DemoOptions): Promise<void> {
  await withStore(cmd, async (store) => {
    const steps: { step: string; detail: string }[] = [];
    const existing = await store.db.selectFrom('agencies').selectAll().where('code', '=', 'DEMO-NL').executeTakeFirst();
    const agency =
      existing ??
      (await store.db
        .insertInto('agencies')
        .values({ code: 'DEMO-NL', name: 'Demo national dark-web team', country: 'NL', contact_point: 'darkweb-desk@demo.invalid' })
        .returningAll()
        .executeTakeFirstOrThrow());
    steps.push({ step: 'store', detail: `${store.engine} at ${store.location}, agency ${agency.code}` });
    emit(opts.json, { seed: opts.seed, steps }, () =>
      [...steps.map((s) => `✔ ${s.step.padEnd(10)} ${s.detail}`), '', `Inspect the database: npx darkpatrol db status --data-dir ${store.location}`].join('\n'),
    );
  });
}
