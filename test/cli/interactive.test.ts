// The prompts, through a real pseudo-terminal (test/helpers/pty-relay.py).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTmp, readToml, snapshot, waitUntil } from '../helpers/cli.js';
import { KEY, PtySession, hasPython } from '../helpers/pty.js';

const sessions: PtySession[] = [];
const start = (...a: Parameters<typeof PtySession.start>) => {
  const s = PtySession.start(...a);
  sessions.push(s);
  return s;
};
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});

const down = (n: number) => KEY.down.repeat(n);

describe.skipIf(!hasPython)('on a terminal', () => {
  it('asks directory, map, ordering and program; non-default answers end up in the files', async () => {
    const cwd = makeTmp('pty-all');
    const pty = start(['--no-git'], { cwd });
    await pty.waitFor('Project directory:');
    pty.send(`my-dir${KEY.enter}`);
    const mapQuestion = await pty.waitFor('lru-per-cpu-hash');
    expect(mapQuestion).toContain('Map that holds the counter:');
    expect(mapQuestion).toContain('array - one preallocated slot shared by all CPUs'); // the highlighted choice is explained
    pty.send(down(1));
    await pty.waitFor('per-cpu-array - one slot per CPU, a plain add');
    pty.send(down(2) + KEY.enter); // per-cpu-hash
    const orderingQuestion = await pty.waitFor('seqcst');
    expect(orderingQuestion).toContain('Memory ordering of the atomic add:');
    expect(orderingQuestion).toMatch(/per-cpu-hash map uses a plain add, so the ordering does not apply/);
    pty.send(down(4) + KEY.enter); // seqcst
    await pty.waitFor(/Program type:[\s\S]*tracepoint/);
    pty.send(down(1) + KEY.enter); // tracepoint
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(readToml(path.join(cwd, 'my-dir'))).toMatchObject({
      name: 'my-dir', map: 'per-cpu-hash', ordering: 'seqcst', program: 'tracepoint', attach: 'syscalls/sys_enter_execve',
    });
    expect(screen).toContain('Wrote');
  });

  it('rejects an invalid name at the name prompt (directory "123") and accepts a valid one; no per-CPU note for a hash map', async () => {
    const cwd = makeTmp('pty-name');
    const pty = start(['123', '--no-git'], { cwd });
    await pty.waitFor('Rust package name:');
    pty.send(`fn${KEY.enter}`);
    await pty.waitFor('crate name "fn" is a Rust keyword');
    pty.send(KEY.backspace.repeat(2) + `Bad${KEY.enter}`);
    await pty.waitFor('crate name "Bad" has upper-case letters');
    pty.send(KEY.backspace.repeat(3) + `good-probe${KEY.enter}`);
    await pty.waitFor('Map that holds the counter:');
    pty.send(down(2) + KEY.enter); // hash
    const orderingQuestion = await pty.waitFor('seqcst');
    expect(orderingQuestion).not.toMatch(/does not apply/);
    pty.send(KEY.enter);
    await pty.waitFor('Program type:');
    pty.send(KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(readToml(path.join(cwd, '123'))).toMatchObject({ name: 'good-probe', map: 'hash', ordering: 'relaxed', program: 'kprobe' });
  });

  it('the overwrite question on a non-empty directory defaults to cancel: exit 3, nothing changed', async () => {
    const cwd = makeTmp('pty-overwrite');
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine\n');
    fs.writeFileSync(path.join(cwd, 'probe', 'notes.txt'), 'notes\n');
    const before = snapshot(cwd);
    const pty = start(['probe', '--no-git', '--map', 'array', '--ordering', 'relaxed', '--program', 'kprobe'], { cwd });
    const question = await pty.waitFor('What now?');
    expect(question).toContain('probe is not empty. The template would replace: Cargo.toml.');
    await pty.waitFor('Cancel');
    pty.send(KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(3);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('choosing "Write into it" at the overwrite question backs up and writes', async () => {
    const cwd = makeTmp('pty-overwrite-yes');
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine\n');
    const pty = start(['probe', '--no-git', '--map', 'array', '--ordering', 'relaxed', '--program', 'kprobe'], { cwd });
    await pty.waitFor('What now?');
    await pty.waitFor('Write into it');
    pty.send(down(1) + KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    const backups = fs.readdirSync(path.join(cwd, 'probe')).filter((e) => e.startsWith('.aya-atomic-backup-'));
    expect(backups).toHaveLength(1);
    expect(fs.readFileSync(path.join(cwd, 'probe', backups[0], 'Cargo.toml'), 'utf8')).toBe('mine\n');
  });

  it('Ctrl-C at the directory prompt: exit 130, nothing written', async () => {
    const cwd = makeTmp('pty-ctrlc');
    const pty = start([], { cwd });
    await pty.waitFor('Project directory:');
    pty.send(`some-dir${KEY.ctrlC}`);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(130);
    expect(screen).toContain('Cancelled');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('Ctrl-C at a choice: exit 130, nothing written', async () => {
    const cwd = makeTmp('pty-ctrlc-select');
    const pty = start(['probe'], { cwd });
    await pty.waitFor('Map that holds the counter:');
    pty.send(KEY.ctrlC);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(130);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('Esc at a choice: exit 130, nothing written', async () => {
    const cwd = makeTmp('pty-esc');
    const pty = start(['probe', '--map', 'hash'], { cwd });
    await pty.waitFor('Memory ordering of the atomic add:');
    pty.send(KEY.esc);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(130);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('Ctrl-C typed on the terminal while writing: exit 130, the new directory is gone', async () => {
    const cwd = makeTmp('pty-ctrlc-write');
    const target = path.join(cwd, 'probe');
    const pty = start(['probe', '--yes', '--no-git'], { cwd, env: { CREATE_AYA_ATOMIC_WRITE_DELAY_MS: '200' } });
    await pty.waitFor('Creating probe');
    await waitUntil(() => fs.existsSync(path.join(target, 'aya-atomic.toml')), 'aya-atomic.toml moved into place');
    pty.send(KEY.ctrlC);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(130);
    expect(screen).toContain('Cancelled while writing');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('--attach given for a kprobe, then a tracepoint chosen at the prompt: a usage error, nothing written', async () => {
    const cwd = makeTmp('pty-attach');
    const pty = start(['probe', '--map', 'array', '--ordering', 'relaxed', '--attach', 'do_sys_openat2'], { cwd });
    await pty.waitFor(/Program type:[\s\S]*tracepoint/);
    pty.send(down(1) + KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(2);
    expect(screen).toMatch(/--attach: attach target "do_sys_openat2" is not a tracepoint/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it.each(['-y', '--yes', '--json'])('%s on a terminal never prompts', async (flag) => {
    const cwd = makeTmp('pty-yes');
    const pty = start([flag, '--no-git'], { cwd });
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(screen).not.toContain('Project directory:');
    expect(readToml(path.join(cwd, 'aya-atomic-counter')).name).toBe('aya-atomic-counter');
  });

  it('CI=true on a terminal never prompts', async () => {
    const cwd = makeTmp('pty-ci');
    const pty = start(['--no-git'], { cwd, env: { CI: 'true' } });
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(screen).not.toMatch(/Project directory:|Map that holds/);
    expect(readToml(path.join(cwd, 'aya-atomic-counter')).map).toBe('array');
  });

  it('colour is on by default on a terminal and off with --no-color or NO_COLOR', async () => {
    const sgr = /\x1b\[(?:1|3[0-9]|9[0-9])m/; // bold or a foreground colour
    const run = async (args: string[], env = {}) => {
      const pty = start(['--yes', '--dry-run', ...args], { cwd: makeTmp('pty-color'), env });
      const { code, raw } = await pty.exit();
      expect(code, raw).toBe(0);
      return raw;
    };
    expect(await run([])).toMatch(sgr);
    expect(await run(['--no-color'])).not.toMatch(/\x1b/);
    expect(await run([], { NO_COLOR: '1' })).not.toMatch(/\x1b/);
  });
});
