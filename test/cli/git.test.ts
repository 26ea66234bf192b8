// --git / --no-git: init and an initial commit with an identity, init only without one, no init inside a
// repository, a one-line note when git is missing. Identity comes from a temporary GIT_CONFIG_GLOBAL.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipUnlessCi } from '../helpers/ci.js';
import { cliEnv, gitConfigWithIdentity, makeTmp, parseJson, runCli, show } from '../helpers/cli.js';

const git = (cwd: string, args: string[], env = {}) =>
  spawnSync('git', args, { cwd, env: cliEnv(env), encoding: 'utf8' });
const noGit = skipUnlessCi(spawnSync('git', ['--version']).status === 0 ? undefined : 'git is not on PATH');

describe.skipIf(noGit).concurrent(`git${noGit ? ` (skipped: ${noGit})` : ''}`, () => {
  it('with an identity: git init and one initial commit holding every file', async () => {
    const cwd = makeTmp('git-commit');
    const env = { GIT_CONFIG_GLOBAL: gitConfigWithIdentity() };
    const result = await runCli(['probe', '--yes', '--json'], { cwd, env });
    expect(result.code, show(result)).toBe(0);
    const target = path.join(cwd, 'probe');
    expect(parseJson(result).git).toEqual({ status: 'initialized', committed: true });
    expect(result.stderr).toContain('Initialized a git repository with an initial commit');
    const log = git(target, ['log', '--format=%an <%ae>|%s'], env);
    expect(log.status, log.stderr).toBe(0);
    expect(log.stdout.trim()).toBe('Test Person <test@example.invalid>|Initial commit from create-aya-atomic');
    expect(git(target, ['status', '--porcelain', '--ignored'], env).stdout).toBe('');
    const tracked = git(target, ['ls-files'], env).stdout.trim().split('\n').sort();
    expect(tracked).toEqual((parseJson(result).files as { path: string }[]).map((f) => f.path).sort());
  });

  it('the initial commit holds only the files this run wrote, never what else the directory held', async () => {
    const cwd = makeTmp('git-overwrite');
    const env = { GIT_CONFIG_GLOBAL: gitConfigWithIdentity() };
    const target = path.join(cwd, 'probe');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, '.env'), 'SECRET=1\n');
    fs.writeFileSync(path.join(target, 'README.md'), 'my own readme\n');
    const result = await runCli(['probe', '--yes', '--overwrite', '--json'], { cwd, env });
    expect(result.code, show(result)).toBe(0);
    const tracked = git(target, ['ls-files'], env).stdout.trim().split('\n').sort();
    expect(tracked).toEqual((parseJson(result).files as { path: string }[]).map((f) => f.path).sort());
    expect(tracked).not.toContain('.env');
    expect(tracked.some((f) => f.startsWith('.aya-atomic-backup-'))).toBe(false);
    // The backup folder is ignored, the user's own file is left for them to decide.
    const status = git(target, ['status', '--porcelain'], env).stdout;
    expect(status).toContain('.env');
    expect(status).not.toContain('.aya-atomic-backup-');
  });

  it('--git is the default made explicit', async () => {
    const cwd = makeTmp('git-explicit');
    const env = { GIT_CONFIG_GLOBAL: gitConfigWithIdentity() };
    const result = await runCli(['probe', '--yes', '--git'], { cwd, env });
    expect(result.code, show(result)).toBe(0);
    expect(git(path.join(cwd, 'probe'), ['rev-list', '--count', 'HEAD'], env).stdout.trim()).toBe('1');
  });

  it('without an identity: init only, and it says so', async () => {
    const cwd = makeTmp('git-noid');
    // The default test environment has an empty GIT_CONFIG_GLOBAL; author variables alone are not an identity here.
    const result = await runCli(['probe', '--yes', '--json'], {
      cwd,
      env: { GIT_AUTHOR_NAME: 'Env Only', GIT_AUTHOR_EMAIL: 'env@example.invalid' },
    });
    expect(result.code, show(result)).toBe(0);
    const target = path.join(cwd, 'probe');
    expect(parseJson(result).git).toMatchObject({ status: 'initialized', committed: false });
    expect(result.stderr).toMatch(/Initialized a git repository \(no initial commit: no git identity is configured/);
    expect(fs.statSync(path.join(target, '.git')).isDirectory()).toBe(true);
    expect(git(target, ['rev-parse', '--verify', 'HEAD']).status).not.toBe(0);
  });

  it('inside an existing repository: no init', async () => {
    const cwd = makeTmp('git-inside');
    expect(git(cwd, ['init', '-q']).status).toBe(0);
    const result = await runCli(['sub/probe', '--yes', '--json'], {
      cwd,
      env: { GIT_CONFIG_GLOBAL: gitConfigWithIdentity() },
    });
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).git).toEqual({ status: 'inside-repository' });
    expect(result.stderr).toContain('already inside a git repository: no git init');
    expect(fs.existsSync(path.join(cwd, 'sub', 'probe', '.git'))).toBe(false);
    expect(git(cwd, ['rev-parse', '--verify', 'HEAD']).status).not.toBe(0); // and nothing committed to the outer one
  });

  it('git missing from PATH: a one-line note, exit code unaffected', async () => {
    const cwd = makeTmp('git-missing');
    const emptyBin = makeTmp('empty-bin');
    const result = await runCli(['probe', '--yes'], { cwd, env: { PATH: emptyBin } });
    expect(result.code, show(result)).toBe(0);
    const gitLines = (result.stdout + result.stderr).split('\n').filter((l) => /\bgit\b/i.test(l));
    expect(gitLines).toHaveLength(1);
    expect(gitLines[0]).toMatch(/git is not on PATH/);
    expect(fs.existsSync(path.join(cwd, 'probe', '.git'))).toBe(false);
    expect(fs.existsSync(path.join(cwd, 'probe', 'aya-atomic.toml'))).toBe(true);
  });

  it('--no-git: no repository even with an identity, and no git output', async () => {
    const cwd = makeTmp('git-off');
    const result = await runCli(['probe', '--yes', '--no-git', '--json'], {
      cwd,
      env: { GIT_CONFIG_GLOBAL: gitConfigWithIdentity() },
    });
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).git).toEqual({ status: 'skipped' });
    expect(fs.existsSync(path.join(cwd, 'probe', '.git'))).toBe(false);
    expect(result.stderr).not.toMatch(/Initialized|git init/);
  });
});
