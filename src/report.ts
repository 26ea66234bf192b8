// What a run reports (the --json object) and what carrying out a plan needs (execute.ts for a generation,
// update.ts for an update): shared by both, so neither reaches into the other.
import type { GitOutcome } from './git.js';
import type { Options } from './options.js';
import type { Ui } from './ui.js';
import type { VerifyOutcome } from './verify.js';

export interface Report {
  schemaVersion: number;
  ok: boolean;
  exitCode: number;
  dryRun?: boolean;
  directory?: string;
  options?: Options;
  /** What was written (or, with --dry-run, would be): nothing when the run failed before writing. */
  files?: { path: string; action: string }[];
  backupDir?: string;
  git?: GitOutcome | { status: 'skipped' };
  verify?: VerifyOutcome | { status: 'skipped' };
  error?: { kind: string; message: string };
  /** --update: the versions, each file's action, and what became of Cargo.lock when it was merged. */
  update?: {
    from: string;
    to: string;
    files: { path: string; action: string; reason?: string }[];
    /** `settled` by cargo update --workspace, or only `merged` (cargo could not run, or a manifest has conflicts). */
    lock?: 'settled' | 'merged';
  };
  [key: string]: unknown;
}

export interface ExecuteIo {
  ui: Ui;
  version: string;
  report: Report;
  isRoot: boolean;
  /** Aborted (with the signal's name as reason) on SIGINT, SIGTERM or SIGHUP. */
  signal: AbortSignal;
}
