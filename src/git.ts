// git init as SPEC says: only outside an existing repository; commit only when an identity is configured.
import { run } from './run.js';

export type GitOutcome =
  | { status: 'no-git' }
  | { status: 'inside-repository' }
  | { status: 'initialized'; committed: boolean; reason?: string }
  | { status: 'failed'; message: string };

/** `paths`: the files this run wrote; only they go into the initial commit, never what else the directory holds. */
export async function gitInit(dir: string, paths: readonly string[]): Promise<GitOutcome> {
  const git = (...args: string[]) => run('git', args, { cwd: dir });
  const version = await git('--version');
  if (version.code !== 0) return { status: 'no-git' };
  if ((await git('rev-parse', '--is-inside-work-tree')).code === 0) return { status: 'inside-repository' };
  const init = await git('init', '-q');
  if (init.code !== 0) return { status: 'failed', message: init.output.trim() };
  const name = await git('config', 'user.name');
  const email = await git('config', 'user.email');
  if (name.code !== 0 || email.code !== 0 || !name.stdout.trim() || !email.stdout.trim()) {
    return {
      status: 'initialized',
      committed: false,
      reason: 'no git identity is configured (git config user.name / user.email)',
    };
  }
  const add = await git('add', '--', ...paths);
  const commit =
    add.code === 0 ? await git('commit', '-q', '--no-verify', '-m', 'Initial commit from create-aya-atomic') : add;
  if (commit.code !== 0)
    return { status: 'initialized', committed: false, reason: commit.output.trim().split('\n')[0] };
  return { status: 'initialized', committed: true };
}
