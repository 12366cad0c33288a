import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { UserError } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command('darkpatrol')
    .description('Dark-web drug-market intelligence: collect, preserve, extract, link, analyse, de-conflict, exchange.')
    .version('0.1.0')
    .option('--data-dir <dir>', 'embedded database directory (default .darkpatrol/data, or $DARKPATROL_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL server to use instead of the embedded database (or $DATABASE_URL)')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 unexpected failure (or a command's own verdict, e.g. `evidence
 * verify` finding tampering), 2 bad input.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    // A command that found a problem reports it by setting process.exitCode; the caller assigns our return value to
    // process.exitCode, so it must carry that verdict on rather than overwrite it with 0.
    return Number(process.exitCode ?? 0) || 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UserError || isClearError(err)) {
      process.stderr.write(`darkpatrol: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`darkpatrol: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/** Errors our own modules raise on purpose carry a message meant for the user. */
function isClearError(err: unknown): boolean {
  return (
    err instanceof Error &&
    ['SchemaTooNewError', 'MigrationChangedError', 'MigrationFailedError', 'DataDirLockedError'].includes(err.name)
  );
}
