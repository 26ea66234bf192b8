// git init as docs/command-line.md (git) says: only outside an existing repository; commit only when an identity is
// configured.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError, EXIT, cancelled, notEmptyError } from './errors.js';
import { run } from './run.js';
import { printable } from './validate.js';

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

export type WorkTreeStatus = { kind: 'no-repository' } | { kind: 'clean' } | { kind: 'dirty'; paths: string[] };

/**
 * Whether the git work tree around `dir` has uncommitted changes to tracked files below `dir`
 * (docs/update.md, "git"). Only `git status` exiting 0 is an answer, read from its stdout alone
 * (NUL-separated, so any file name reads as itself); git failing in a directory that is in a work tree
 * is exit 3 with git's own first error line, git ended by a signal is 130. No repository (no `.git` at
 * or above `dir`) is an answer too. The repository's configuration cannot make the check run a command:
 * no fsmonitor hook, no hooks, no filter driver of its own, no pager, no index refresh written back.
 */
export async function workTreeStatus(
  dir: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkTreeStatus> {
  // A filter driver's clean command runs whenever git reads a file again to compare it (one newer than the
  // index): those the repository's own configuration (or a submodule's) defines are switched off for the check.
  const filtersOff = (await repositoryFilters(dir, signal)).flatMap((name) =>
    ['clean=', 'process=', 'required=false'].flatMap((setting) => ['-c', `filter.${name}.${setting}`]),
  );
  const status = await run(
    'git',
    [
      ...NO_COMMANDS,
      ...filtersOff,
      'status',
      '--porcelain=v1',
      '-z',
      '--untracked-files=no',
      '--ignore-submodules=none',
      '--',
      '.',
    ],
    { cwd: dir, signal, env: { LC_ALL: 'C' } },
  );
  if (signal.aborted) throw cancelled('Cancelled; nothing was changed.');
  const repository = enclosingRepository(dir, env);
  const cannot = `Cannot tell whether ${printable(dir)} has uncommitted changes`;
  if (status.failedToStart !== undefined) {
    if (!repository) return { kind: 'no-repository' };
    throw notEmptyError(
      `${cannot}: it is in the git work tree at ${printable(repository)}, but git cannot be run (${printable(status.failedToStart)}). Install git, or pass --overwrite. Nothing was changed.`,
    );
  }
  if (status.signal) {
    throw new CliError(
      `${cannot}: git status was ended by ${status.signal}. Nothing was changed.`,
      EXIT.cancelled,
      'cancelled',
    );
  }
  if (status.code === 0) {
    const paths = parsePorcelainZ(status.stdout);
    return paths.length ? { kind: 'dirty', paths } : { kind: 'clean' };
  }
  if (!repository) return { kind: 'no-repository' };
  throw notEmptyError(
    `${cannot}: \`git status\` exited ${status.code}: ${firstErrorLine(status.stderr)}\n` +
      'Fix what git says (for a repository owned by another user: git config --global --add safe.directory <dir>), or pass --overwrite. Nothing was changed.',
  );
}

const devNull = process.platform === 'win32' ? 'NUL' : '/dev/null';

/** git's options so that the repository's configuration runs no command: no fsmonitor hook, hooks or pager. */
const NO_COMMANDS = [
  '--no-pager',
  '--no-optional-locks',
  '-c',
  'core.fsmonitor=false',
  '-c',
  `core.hooksPath=${devNull}`,
];

/**
 * The filter drivers (`filter.<name>.*`) that the configuration of the repository around `dir` defines, in
 * its own files (.git/config, config.worktree, and what they include), and those of the submodules below
 * `dir` (git status looks into them, passing our `-c` settings on); none when git cannot say. The user's
 * global ones (git-lfs, say) are the user's choice and stay on.
 */
async function repositoryFilters(dir: string, signal: AbortSignal, names = new Set<string>()): Promise<string[]> {
  const git = (...args: string[]) => run('git', [...NO_COMMANDS, ...args], { cwd: dir, signal, env: { LC_ALL: 'C' } });
  for (const scope of ['--local', '--worktree']) {
    const r = await git('config', scope, '--includes', '--name-only', '-z', '--get-regexp', '^filter\\.');
    if (r.code !== 0) continue; // 1: none; otherwise no repository, or one git refuses: git status will say
    for (const key of r.stdout.split('\0')) {
      const name = /^filter\.(.+)\.[^.]+$/s.exec(key)?.[1];
      if (name) names.add(name);
    }
  }
  // The submodules: gitlinks (mode 160000) in the index, each checked out in a directory of its own.
  const index = await git('ls-files', '--stage', '-z', '--', '.');
  for (const entry of index.code === 0 ? index.stdout.split('\0') : []) {
    const m = /^160000 [0-9a-f]+ \d\t(.+)$/s.exec(entry);
    const sub = m && path.join(dir, m[1]);
    if (sub && existsSync(path.join(sub, '.git'))) await repositoryFilters(sub, signal, names);
  }
  return [...names];
}

/** The paths of `git status --porcelain=v1 -z` (a rename's original path follows it and is skipped). */
function parsePorcelainZ(out: string): string[] {
  const fields = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i];
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++; // the original path of a rename or a copy
  }
  return paths;
}

/**
 * A program's first line that says what went wrong (git's `fatal:`/`error:`, npm's `npm error`, our `✖`;
 * else a line naming an error; else the first line), never a stack frame, escaped for the terminal.
 */
export function firstErrorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^at /.test(l));
  const line =
    lines.find((l) => /^(fatal:|error:|npm error|npm ERR!|✖)/i.test(l)) ??
    lines.find((l) => /error/i.test(l)) ??
    lines[0] ??
    '(no message)';
  return printable(line.length > 300 ? `${line.slice(0, 300)}…` : line);
}

/**
 * The directory holding `.git` at or above `dir` (where git would look, stopping below the directories in
 * GIT_CEILING_DIRECTORIES), or `GIT_DIR` when set; undefined when there is none.
 */
export function enclosingRepository(dir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.GIT_DIR) return env.GIT_DIR;
  const ceilings = new Set(
    (env.GIT_CEILING_DIRECTORIES ?? '')
      .split(path.delimiter)
      .filter((d) => path.isAbsolute(d))
      .map((d) => path.resolve(d)),
  );
  for (let d = path.resolve(dir); ;) {
    if (existsSync(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d || ceilings.has(up)) return undefined;
    d = up;
  }
}
