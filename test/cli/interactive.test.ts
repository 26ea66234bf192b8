// The prompts, through a real pseudo-terminal (test/helpers/pty-relay.py). What is asked and in which
// order is tested in-process in test/unit/resolve.test.ts; here: what a user at a terminal sees and
// types, keys and terminal size included.
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SGR_COLOR_RE, makeTmp, readToml, snapshot } from '../helpers/cli.js';
import { KEY, PtySession, noPty } from '../helpers/pty.js';

/** Whether this machine's kernel can attach kprobes (aya opens this file to attach one). */
const HAS_KPROBES = fs.existsSync('/sys/bus/event_source/devices/kprobe/type');

const sessions: PtySession[] = [];
const start = (...a: Parameters<typeof PtySession.start>) => {
  const s = PtySession.start(...a);
  sessions.push(s);
  return s;
};
// After all tests, not after each: the tests run concurrently, and one's end must not kill another's session.
afterAll(() => {
  for (const s of sessions.splice(0)) s.kill();
});

const down = (n: number) => KEY.down.repeat(n);
const NO_ASKED_OPTIONS = ['--map', 'array', '--ordering', 'relaxed', '--program', 'kprobe', '--no-git'];

describe.skipIf(noPty).concurrent(`on a terminal${noPty ? ` (skipped: ${noPty})` : ''}`, () => {
  it('asks directory, map, ordering and program; non-default answers end up in the files', async () => {
    const cwd = makeTmp('pty-all');
    const pty = start(['--no-git'], { cwd });
    await pty.waitFor('Project directory:');
    pty.send(`my-dir${KEY.enter}`);
    const mapQuestion = await pty.waitFor('lru-per-cpu-hash');
    expect(mapQuestion).toContain('Map that holds the counter:');
    expect(mapQuestion).toContain('array - one slot shared by all CPUs, an atomic add'); // the highlighted choice is explained
    pty.send(down(2) + KEY.enter); // hash
    const orderingQuestion = await pty.waitFor('seqcst');
    expect(orderingQuestion).toContain('Memory ordering of the atomic add:');
    pty.send(down(4));
    // On a shared map each ordering says what it compiles to.
    await pty.waitFor('seqcst - fully ordered atomic_fetch_add, BPF cpu v3, kernel >= 5.12');
    pty.send(KEY.enter);
    // On a kernel without kprobe support the question says so and has tracepoint already selected.
    const programQuestion = await pty.waitFor(/Program type[^\n]*:[\s\S]*tracepoint/);
    expect(programQuestion).toContain(
      HAS_KPROBES ? 'Program type:' : "Program type (this machine's kernel has no kprobe support):",
    );
    pty.send((HAS_KPROBES ? down(1) : '') + KEY.enter); // tracepoint
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(readToml(path.join(cwd, 'my-dir'))).toMatchObject({
      name: 'my-dir',
      map: 'hash',
      ordering: 'seqcst',
      program: 'tracepoint',
      attach: 'syscalls/sys_enter_execve',
    });
    expect(screen).toContain('Wrote');
  });

  it('for a per-CPU map, every ordering choice says it is recorded only, none describes an atomic', async () => {
    const cwd = makeTmp('pty-percpu');
    const pty = start(['probe', '--program', 'kprobe', '--no-git'], { cwd });
    await pty.waitFor('lru-per-cpu-hash');
    pty.send(down(3) + KEY.enter); // per-cpu-hash
    const question = await pty.waitFor('seqcst');
    expect(question).toContain(
      'Memory ordering (a per-cpu-hash map uses a plain add, so the ordering does not apply; it is only recorded):',
    );
    let seen = question;
    for (const choice of ['acquire', 'release', 'acqrel', 'seqcst']) {
      pty.send(KEY.down);
      seen += await pty.waitFor(
        `${choice} - recorded only: a per-cpu-hash map compiles to a plain add whatever the ordering`,
      );
    }
    expect(seen).toContain('relaxed - recorded only: a per-cpu-hash map compiles to a plain add whatever the ordering');
    expect(seen).not.toMatch(/atomic_fetch_add|locked add|BPF cpu v3|kernel >= 5\.12/);
    pty.send(KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(readToml(path.join(cwd, 'probe'))).toMatchObject({ map: 'per-cpu-hash', ordering: 'seqcst' });
  });

  it('--attach sched/sched_switch without --program: the program is never asked, a tracepoint is generated', async () => {
    const cwd = makeTmp('pty-attach');
    const pty = start(['probe', '--attach', 'sched/sched_switch', '--no-git'], { cwd });
    await pty.waitFor('Map that holds the counter:');
    pty.send(KEY.enter);
    await pty.waitFor('Memory ordering of the atomic add:');
    pty.send(KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(screen).not.toContain('Program type:');
    expect(readToml(path.join(cwd, 'probe'))).toMatchObject({ program: 'tracepoint', attach: 'sched/sched_switch' });
    expect(screen).toContain('tracepoint on sched/sched_switch');
  });

  it('the name prompt (directory "123") says why it asks, refuses invalid names and takes a valid one', async () => {
    const cwd = makeTmp('pty-name');
    const pty = start(['123', ...NO_ASKED_OPTIONS], { cwd });
    await pty.waitFor('Rust package name (the directory name "123" has no ASCII letter to start a crate name with):');
    pty.send(`fn${KEY.enter}`);
    await pty.waitFor('crate name "fn" is a Rust keyword');
    pty.send(KEY.backspace.repeat(2) + `Bad${KEY.enter}`);
    await pty.waitFor('crate name "Bad" has upper-case letters');
    pty.send(KEY.backspace.repeat(3) + `good-probe${KEY.enter}`);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(readToml(path.join(cwd, '123'))).toMatchObject({ name: 'good-probe' });
  });

  // A validation message longer than the terminal is cut to one line (prompts draws it below
  // the input as "› message" and redraws only that many lines: a wrapped one leaves fragments behind).
  it('on a 40-column terminal, a long validation message at the name prompt fits one line', async () => {
    const cwd = makeTmp('pty-name-40');
    const pty = start(['123', ...NO_ASKED_OPTIONS], { cwd, cols: 40 });
    await pty.waitFor('Rust package name');
    pty.send(`fn${KEY.enter}`);
    await pty.waitFor('is a Rust keyword');
    pty.send(KEY.backspace.repeat(2) + `a${'x'.repeat(70)}${KEY.enter}`);
    await pty.waitFor(/crate name "ax+/);
    pty.send(KEY.ctrlC);
    const { code, raw } = await pty.exit();
    expect(code).toBe(130);
    const messages = [...raw.matchAll(/\n› ([^\x07\x1b]*(?:\x1b\[[0-9;]*m[^\x07\x1b]*)*)\x1b[78]/g)].map(
      (m) => `› ${stripVTControlCharacters(m[1])}`,
    );
    expect(messages.length, JSON.stringify(raw)).toBeGreaterThanOrEqual(2);
    for (const line of messages) expect([...line].length, line).toBeLessThanOrEqual(40);
    expect(messages, JSON.stringify(raw)).toContainEqual(expect.stringMatching(/^› crate name "fn" is a Rust keyword/));
  });

  it('the "not empty" question comes right after the directory; cancel (the default) is exit 3, nothing changed', async () => {
    const cwd = makeTmp('pty-overwrite');
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine\n');
    fs.writeFileSync(path.join(cwd, 'probe', 'notes.txt'), 'notes\n');
    const before = snapshot(cwd);
    const pty = start(['--no-git'], { cwd });
    await pty.waitFor('Project directory:');
    pty.send(`probe${KEY.enter}`);
    const between = await pty.waitFor('probe is not empty ("Cargo.toml", "notes.txt"). Write into it?');
    expect(between).not.toMatch(/Map that holds|Memory ordering|Program type/);
    await pty.waitFor('Cancel');
    pty.send(KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(3);
    expect(screen).not.toMatch(/Map that holds|Memory ordering|Program type/);
    expect(snapshot(cwd)).toEqual(before);
  });

  it('choosing "Write into it" at the not-empty question backs up and writes', async () => {
    const cwd = makeTmp('pty-overwrite-yes');
    fs.mkdirSync(path.join(cwd, 'probe'));
    fs.writeFileSync(path.join(cwd, 'probe', 'Cargo.toml'), 'mine\n');
    const pty = start(['probe', ...NO_ASKED_OPTIONS], { cwd });
    await pty.waitFor('Write into it?');
    await pty.waitFor('Cancel');
    pty.send(down(1) + KEY.enter);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(screen).toContain('Backing up and replacing 1 existing path(s): Cargo.toml');
    const backups = fs.readdirSync(path.join(cwd, 'probe')).filter((e) => e.startsWith('.aya-atomic-backup-'));
    expect(backups).toHaveLength(1);
    expect(fs.readFileSync(path.join(cwd, 'probe', backups[0], 'Cargo.toml'), 'utf8')).toBe('mine\n');
  });

  it('Ctrl-U typed at the directory prompt is refused with a message, never put in a directory name', async () => {
    const cwd = makeTmp('pty-ctrl-u');
    const pty = start(NO_ASKED_OPTIONS, { cwd });
    await pty.waitFor('Project directory:');
    pty.send(`bad\x15dir${KEY.enter}`);
    await pty.waitFor(
      'the directory "bad\\u0015dir" contains the control character U+0015; choose a path without control characters',
    );
    pty.send(KEY.backspace.repeat(7) + `good${KEY.enter}`);
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual(['good']);
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

  it('--yes on a terminal never prompts', async () => {
    const cwd = makeTmp('pty-yes');
    const pty = start(['--yes', '--no-git'], { cwd });
    const { code, screen } = await pty.exit();
    expect(code, screen).toBe(0);
    expect(screen).not.toMatch(/Project directory:|Map that holds/);
    expect(readToml(path.join(cwd, 'aya-atomic-counter')).name).toBe('aya-atomic-counter');
  });

  // The prompts draw in colour on a terminal, and in none with NO_COLOR or --no-color.
  const promptsRaw = async (args: string[], env = {}) => {
    const pty = start(['probe', ...args], { cwd: makeTmp('pty-color'), env });
    await pty.waitFor('lru-per-cpu-hash'); // the map question, fully drawn
    pty.send(KEY.ctrlC);
    const { code, raw } = await pty.exit();
    expect(code).toBe(130);
    return raw;
  };
  it('the prompts are coloured on a terminal by default', async () => {
    expect(await promptsRaw([])).toMatch(SGR_COLOR_RE);
  });
  it.each([
    ['NO_COLOR=1', [], { NO_COLOR: '1' }],
    ['--no-color', ['--no-color'], {}],
    ['--no-color over FORCE_COLOR=1', ['--no-color'], { FORCE_COLOR: '1' }],
  ])('%s: the prompts draw no colour', async (_, args, env) => {
    const raw = await promptsRaw(args, env);
    expect(raw).toContain('Map that holds the counter:');
    expect(raw, JSON.stringify(raw)).not.toMatch(SGR_COLOR_RE);
  });
});
