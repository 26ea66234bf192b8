// A git that cannot answer is not "no git" (docs/update.md, "git"): only `git status` exiting 0 counts,
// read from its stdout alone; anything else is exit 3 with git's own first error line, or 130 when a
// signal ended git; the repository's configuration cannot make the check run a command. Real git, and a
// repository made unreadable to it the ways teams hit: another owner (sudo), a broken .git, GIT_TRACE.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTmp, show } from '../helpers/cli.js';
import { NEXT, commitAll, generate, git, makeVersions, state, updateToNext, type Versions } from '../helpers/update.js';

const isRoot = process.getuid?.() === 0;
const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();

let v: Versions;
beforeAll(() => {
  v = makeVersions();
}, 120_000);

const recordedVersion = (ws: string) =>
  /^create-aya-atomic = "(.*)"$/m.exec(fs.readFileSync(path.join(ws, 'aya-atomic.toml'), 'utf8'))?.[1];

describe.concurrent('git status', () => {
  it.skipIf(!isRoot)(
    "a repository owned by another user (git refuses: dubious ownership) is exit 3 with git's reason, not a clean tree",
    async () => {
      const ws = generate('dubious');
      fs.appendFileSync(path.join(ws, 'LICENSE-MIT'), 'uncommitted edit\n');
      expect(spawnSync('chown', ['-R', '65534:65534', ws]).status).toBe(0);
      const before = state(ws);
      for (const extra of [['--dry-run'], []]) {
        const r = await updateToNext(v, ws, extra);
        expect(r.code, show(r)).toBe(3);
        expect(r.stderr).toMatch(/`git status` exited 128: fatal: detected dubious ownership in repository at /);
        expect(r.stderr).toContain('Nothing was changed.');
        expect(state(ws)).toEqual(before);
      }
    },
  );

  it("a broken .git is exit 3 with git's first error line", async () => {
    const ws = generate('broken-git');
    fs.writeFileSync(path.join(ws, '.git', 'HEAD'), 'garbage\n');
    const before = state(ws);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toMatch(/`git status` exited 128: fatal: not a git repository/);
    expect(state(ws)).toEqual(before);
  });

  it("git's trace on stderr (GIT_TRACE) is never read as file names: a clean tree updates", async () => {
    const ws = generate('trace');
    const r = await updateToNext(v, ws, [], { GIT_TRACE: '1', GIT_TRACE_PERFORMANCE: '1' });
    expect(r.code, show(r)).toBe(0);
    expect(recordedVersion(ws)).toBe(NEXT);
  });

  it('git ended by a signal is exit 130, not "nothing to change"', async () => {
    const ws = generate('signal');
    // A git on PATH that is the real one, but dies of SIGKILL when asked for its status.
    const bin = makeTmp('git-killed');
    fs.writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = status ] && kill -KILL $$; done\nexec ${JSON.stringify(realGit)} "$@"\n`,
      { mode: 0o755 },
    );
    const before = state(ws);
    const r = await updateToNext(v, ws, [], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.code, show(r)).toBe(130);
    expect(r.stdout).toContain('git status was ended by SIGKILL');
    expect(state(ws)).toEqual(before);
  });

  it("the repository's core.fsmonitor hook never runs", async () => {
    const ws = generate('fsmonitor');
    const mark = path.join(path.dirname(ws), 'HOOK-RAN');
    const hook = path.join(path.dirname(ws), 'hook.sh');
    fs.writeFileSync(hook, `#!/bin/sh\ntouch ${JSON.stringify(mark)}\nexit 1\n`, { mode: 0o755 });
    git(ws, 'config', 'core.fsmonitor', hook);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(0);
    expect(fs.existsSync(mark)).toBe(false);
  });

  it("the repository's filter driver (a clean command git status would run to compare a file) never runs", async () => {
    const ws = generate('filter');
    const mark = path.join(path.dirname(ws), 'FILTER-RAN');
    const filter = path.join(path.dirname(ws), 'filter.sh');
    fs.writeFileSync(filter, `#!/bin/sh\ntouch ${JSON.stringify(mark)}\nexec cat\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(ws, '.gitattributes'), '* filter=team\n');
    commitAll(ws);
    git(ws, 'config', 'filter.team.clean', filter);
    git(ws, 'config', 'filter.team.process', filter);
    // Every file newer than the index: git must read each again to tell whether it changed.
    const later = new Date(Date.now() + 60_000);
    for (const f of Object.keys(state(ws))) fs.utimesSync(path.join(ws, f), later, later);
    for (const extra of [['--dry-run'], []]) {
      const r = await updateToNext(v, ws, extra);
      expect(r.code, show(r)).toBe(0);
      expect(fs.existsSync(mark), 'the filter ran').toBe(false);
    }
    expect(recordedVersion(ws)).toBe(NEXT);
  });

  it("a submodule's own filter driver never runs either (git status looks into submodules)", async () => {
    const ws = generate('submodule-filter');
    const shared = path.join(path.dirname(ws), 'shared');
    fs.mkdirSync(shared);
    git(shared, 'init', '-q');
    fs.writeFileSync(path.join(shared, '.gitattributes'), '* filter=shared\n');
    fs.writeFileSync(path.join(shared, 'notes.md'), 'shared notes\n');
    commitAll(shared);
    git(ws, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', shared, 'vendored');
    commitAll(ws);
    const mark = path.join(path.dirname(ws), 'FILTER-RAN');
    const filter = path.join(path.dirname(ws), 'filter.sh');
    fs.writeFileSync(filter, `#!/bin/sh\ntouch ${JSON.stringify(mark)}\nexec cat\n`, { mode: 0o755 });
    git(path.join(ws, 'vendored'), 'config', 'filter.shared.clean', filter);
    const later = new Date(Date.now() + 60_000);
    for (const f of ['notes.md', '.gitattributes']) fs.utimesSync(path.join(ws, 'vendored', f), later, later);
    const r = await updateToNext(v, ws, ['--dry-run']);
    expect(r.code, show(r)).toBe(0);
    expect(fs.existsSync(mark), 'the filter ran').toBe(false);
  });

  it('git not installed, in a work tree: exit 3, not "no repository"', async () => {
    const ws = generate('no-git-installed');
    fs.appendFileSync(path.join(ws, 'LICENSE-MIT'), 'uncommitted edit\n');
    const before = state(ws);
    for (const extra of [['--dry-run'], []]) {
      // A PATH without git (the CLI runs on this Node, which needs none).
      const r = await updateToNext(v, ws, extra, { PATH: makeTmp('no-git-path') });
      expect(r.code, show(r)).toBe(3);
      expect(r.stderr).toContain(`is in the git work tree at ${ws}, but git cannot be run (spawn git ENOENT)`);
      expect(state(ws)).toEqual(before);
    }
  });

  it('a dry run in a dirty tree predicts the real run: exit 3', async () => {
    const ws = generate('dirty-dry');
    fs.appendFileSync(path.join(ws, 'LICENSE-MIT'), 'uncommitted edit\n');
    const before = state(ws);
    for (const extra of [['--dry-run'], []]) {
      const r = await updateToNext(v, ws, extra);
      expect(r.code, show(r)).toBe(3);
      expect(r.stderr).toContain('The workspace (the current directory) has uncommitted changes (LICENSE-MIT).');
      expect(state(ws)).toEqual(before);
    }
  });

  it('no repository at all is an answer: the update goes ahead', async () => {
    const ws = generate('no-repo', 'team', ['--no-git']);
    const r = await updateToNext(v, ws);
    expect(r.code, show(r)).toBe(0);
    expect(recordedVersion(ws)).toBe(NEXT);
  });
});
