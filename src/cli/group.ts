import type { Command } from 'commander';

/** The named command group (e.g. `eval`, `report`), created on first use so several files can add subcommands. */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
