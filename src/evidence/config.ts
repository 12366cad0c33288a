import path from 'node:path';

export const DEFAULT_EVIDENCE_DIR = '.darkpatrol/evidence';

/** The option, then $DARKPATROL_EVIDENCE_DIR, then the default directory next to the embedded database. */
export function resolveEvidenceDir(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(option ?? env.DARKPATROL_EVIDENCE_DIR ?? DEFAULT_EVIDENCE_DIR);
}
