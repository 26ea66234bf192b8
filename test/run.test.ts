// run(), in-process: what a child printed and how it ended, a command that cannot start, and the stop of a
// whole process group on abort, forced with SIGKILL when something in it ignores SIGTERM. Children are
// real processes (sh, sleep); test/verify-run.test.ts stops verify's cargo through the built command.
import { describe, expect, it } from 'vitest';
import { run } from '../src/run.js';
import { processGone, sleep, waitUntil } from './helpers/cli.js';

/** A shell that starts `sleep 300` in the background, prints both pids, and waits for it. */
const GROUP = 'sleep 300 & echo "pids $$ $!"; wait';

async function startGroup(script: string, forceAfterMs?: number) {
  const controller = new AbortController();
  let out = '';
  const done = run('sh', ['-c', script], {
    cwd: '/',
    signal: controller.signal,
    onData: (s) => (out += s),
    forceAfterMs,
  });
  await waitUntil(() => /pids \d+ \d+/.test(out), 'the shell and its sleep');
  const pids = /pids (\d+) (\d+)/.exec(out)!.slice(1).map(Number);
  return { controller, done, pids };
}

describe('run', () => {
  it('collects stdout, stdout and stderr interleaved, and the exit code; env adds to the environment', async () => {
    const r = await run('sh', ['-c', 'echo "one $EXTRA"; sleep 0.2; echo two >&2; sleep 0.2; echo three; exit 7'], {
      cwd: '/',
      env: { EXTRA: 'added' },
    });
    expect(r).toEqual({
      code: 7,
      stdout: 'one added\nthree\n',
      stderr: 'two\n',
      output: 'one added\ntwo\nthree\n',
      signal: null,
    });
  });

  it("replaceEnv: env is the whole environment, without this process's variables", async () => {
    process.env.CAA_RUN_TEST_INHERITED = 'inherited';
    try {
      const script = 'echo "[$CAA_RUN_TEST_INHERITED] [$EXTRA]"';
      const extended = await run('sh', ['-c', script], { cwd: '/', env: { EXTRA: 'x' } });
      expect(extended.stdout).toBe('[inherited] [x]\n');
      const replaced = await run('sh', ['-c', script], {
        cwd: '/',
        env: { PATH: process.env.PATH, EXTRA: 'x' },
        replaceEnv: true,
      });
      expect(replaced.stdout).toBe('[] [x]\n');
    } finally {
      delete process.env.CAA_RUN_TEST_INHERITED;
    }
  });

  it('a command that cannot start: failedToStart names it, code null', async () => {
    const r = await run('no-such-command-here', [], { cwd: '/' });
    expect(r.code).toBeNull();
    expect(r.failedToStart).toBe('spawn no-such-command-here ENOENT');
  });

  it('an abort stops the whole group: the shell and the sleep it started', async () => {
    const { controller, done, pids } = await startGroup(GROUP);
    controller.abort('SIGTERM');
    const r = await done;
    expect(r.code).toBeNull();
    for (const pid of pids) expect(processGone(pid), `pid ${pid}`).toBe(true);
  });

  it('a group that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    // `trap "" TERM` is inherited: neither the shell nor its sleep ends on SIGTERM.
    const { controller, done, pids } = await startGroup(`trap "" TERM; ${GROUP}`, 300);
    controller.abort('SIGTERM');
    await sleep(100);
    expect(pids.every(processGone), 'nothing ended on SIGTERM').toBe(false);
    const r = await done;
    expect(r.code).toBeNull();
    for (const pid of pids) expect(processGone(pid), `pid ${pid}`).toBe(true);
  }, 20_000);

  it('already aborted: nothing starts', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await run('sh', ['-c', 'echo started'], { cwd: '/', signal: controller.signal });
    expect(r).toEqual({ code: null, output: '', stdout: '', stderr: '' });
  });
});
