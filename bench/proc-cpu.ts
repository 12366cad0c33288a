import { readFileSync } from 'node:fs';

/**
 * utime + stime, in seconds, from a Linux /proc stat file: a process's (`/proc/<pid>/stat`) or one thread's
 * (`/proc/thread-self/stat`, `/proc/self/task/<tid>/stat`); undefined where there is none (not Linux, a process gone).
 */
export function procCpuSeconds(statFile: string): number | undefined {
  try {
    return statCpuSeconds(readFileSync(statFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** utime + stime, in seconds, of the text of a /proc stat file. */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
