// git init as SPEC says: only outside an existing repository; commit only when an identity is configured.
import { run } from './run.js';

export type GitOutcome =
  | { status: 'no-git' }
  | { status: 'inside-repository' }
  | { status: 'initialized'; committed: boolean; reason?: string }
  | { status: 'failed'; message: string };

/** `paths`: the files this run wrote; only they go into the initial commit, never what else the directory holds. */
export async function gitInit(dir: string, paths: readonly string[]): Promise<GitOutcome> {
  const version = await run('git', ['--version']);
  if (version.exitCode !== 0) return { status: 'no-git' };
  const inside = await run('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir });
  if (inside.exitCode === 0) return { status: 'inside-repository' };
  const init = await run('git', ['init', '-q'], { cwd: dir });
  if (init.exitCode !== 0) return { status: 'failed', message: init.stderr.trim() };
  const name = await run('git', ['config', 'user.name'], { cwd: dir });
  const email = await run('git', ['config', 'user.email'], { cwd: dir });
  if (name.exitCode !== 0 || email.exitCode !== 0 || !name.stdout.trim() || !email.stdout.trim()) {
    return { status: 'initialized', committed: false, reason: 'no git identity is configured (git config user.name / user.email)' };
  }
  const add = await run('git', ['add', '--', ...paths], { cwd: dir });
  const commit = add.exitCode === 0
    ? await run('git', ['commit', '-q', '--no-verify', '-m', 'Initial commit from create-aya-atomic'], { cwd: dir })
    : add;
  if (commit.exitCode !== 0) return { status: 'initialized', committed: false, reason: commit.stderr.trim().split('\n')[0] };
  return { status: 'initialized', committed: true };
}
