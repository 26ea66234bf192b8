// The merge of --update (git merge-file, with line endings and bytes kept) and the per-file decisions,
// in-process with real git, against literal expectations.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeFile, toCrlf, toLf, usesCrlf, type MergeOutcome } from '../../src/merge.js';
import { decide, type Ours } from '../../src/update/decide.js';

const noGit = spawnSync('git', ['--version'], { stdio: 'ignore' }).status !== 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const labels = { ours: 'yours', base: 'create-aya-atomic 0.1.0', theirs: 'create-aya-atomic 0.2.0' };
const lines = (...l: string[]) => `${l.join('\n')}\n`;
const B = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const merge = (base: string | Buffer, ours: string | Buffer, theirs: string | Buffer, l = labels) =>
  mergeFile(B(base), B(ours), B(theirs), l, { tmp, signal: new AbortController().signal });
const text = (o: MergeOutcome) => (o.kind === 'unmergeable' ? o.reason : o.bytes.toString('utf8'));

describe('line endings', () => {
  it.each([
    ['a\r\nb\r\n', true],
    ['a\r\nb', true],
    ['a\nb\r\n', false],
    ['a\r\r\n', true],
    ['no line break', false],
    ['', false],
  ])('%j uses CRLF throughout: %s', (s, crlf) => expect(usesCrlf(B(s))).toBe(crlf));

  it('converts both ways, byte for byte', () => {
    expect(toLf(B('a\r\nb\rc\r\n')).toString()).toBe('a\nb\rc\n');
    expect(toCrlf(B('a\nb\n')).toString()).toBe('a\r\nb\r\n');
    expect(toCrlf(toLf(B('x\r\r\ny\r\n'))).toString()).toBe('x\r\r\ny\r\n');
  });
});

describe.skipIf(noGit)('mergeFile (git merge-file --diff3)', () => {
  it('keeps both sides when they changed different lines', async () => {
    const base = lines('fn main() {', '    one();', '    two();', '    three();', '}');
    const ours = lines('fn main() {', '    one(); // mine', '    two();', '    three();', '}');
    const theirs = lines('fn main() {', '    one();', '    two();', '    three(3);', '}');
    const r = await merge(base, ours, theirs);
    expect(r.kind).toBe('clean');
    expect(text(r)).toBe(lines('fn main() {', '    one(); // mine', '    two();', '    three(3);', '}'));
  });

  it('takes an identical change on both sides once', async () => {
    const r = await merge(lines('a', 'b', 'c'), lines('a', 'x', 'c', 'mine'), lines('a', 'x', 'c'));
    expect(r.kind).toBe('clean');
    expect(text(r)).toBe(lines('a', 'x', 'c', 'mine'));
  });

  it('marks a change of the same lines as a conflict, with the base in between', async () => {
    const base = lines('keep', 'const CPU: &str = "generic";', 'keep');
    const r = await merge(
      base,
      lines('keep', 'const CPU: &str = "v2";', 'keep'),
      lines('keep', 'const CPU: &str = "v3";', 'keep'),
    );
    expect(r).toMatchObject({ kind: 'conflict', conflicts: 1 });
    expect(text(r)).toBe(
      lines(
        'keep',
        '<<<<<<< yours',
        'const CPU: &str = "v2";',
        '||||||| create-aya-atomic 0.1.0',
        'const CPU: &str = "generic";',
        '=======',
        'const CPU: &str = "v3";',
        '>>>>>>> create-aya-atomic 0.2.0',
        'keep',
      ),
    );
  });

  it('counts separate conflicts', async () => {
    const r = await merge(
      lines('1', 'x', '2', '3', '4', 'y', '5'),
      lines('1', 'xa', '2', '3', '4', 'ya', '5'),
      lines('1', 'xb', '2', '3', '4', 'yb', '5'),
    );
    expect(r).toMatchObject({ kind: 'conflict', conflicts: 2 });
  });

  it('escapes control characters in the labels it writes into the file', async () => {
    const r = await merge('a\n', 'b\n', 'c\n', { ours: 'yours', base: 'x\ny', theirs: 'z\u001b[31m' });
    expect(text(r)).toBe(lines('<<<<<<< yours', 'b', '||||||| x\\ny', 'a', '=======', 'c', '>>>>>>> z\\x1b[31m'));
  });

  it('merges a CRLF checkout as its LF self and writes the result back in CRLF', async () => {
    const base = lines('a', 'b', 'c', 'd', 'e');
    const ours = toCrlf(B(lines('a', 'b', 'c', 'd', 'e', 'mine')));
    const r = await merge(base, ours, lines('A', 'b', 'c', 'd', 'e'));
    expect(r.kind).toBe('clean');
    expect(text(r)).toBe('A\r\nb\r\nc\r\nd\r\ne\r\nmine\r\n');
  });

  it('keeps bytes that are not UTF-8, byte for byte', async () => {
    const base = lines('a', 'b', 'c', 'd', 'e');
    const ours = Buffer.concat([B('a\nb\nc\nd\ne\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xff, 0xfe, 0x0a])]);
    const r = await merge(base, ours, lines('A', 'b', 'c', 'd', 'e'));
    expect(r.kind).toBe('clean');
    expect((r as { bytes: Buffer }).bytes).toEqual(
      Buffer.concat([B('A\nb\nc\nd\ne\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xff, 0xfe, 0x0a])]),
    );
  });

  it('merges a 200,000-line file', async () => {
    const body = Array.from({ length: 200_000 }, (_, i) => `line ${i}`);
    const join = (l: string[]) => `${l.join('\n')}\n`; // no spread: 200,000 arguments overflow the stack
    const base = join(body);
    const ours = join(body.map((l, i) => (i === 150_000 ? `${l} // mine` : l)));
    const theirs = join(['// header', ...body]);
    const r = await merge(base, ours, theirs);
    expect(r.kind).toBe('clean');
    const out = text(r).split('\n');
    expect(out).toHaveLength(200_002);
    expect(out[0]).toBe('// header');
    expect(out[150_001]).toBe('line 150000 // mine');
  });

  it('says a binary file cannot be merged as text', async () => {
    const r = await merge('a\n', Buffer.from([0x61, 0x00, 0x0a]), 'b\n');
    expect(r.kind).toBe('unmergeable');
    expect(text(r)).toContain('Cannot merge binary files');
  });
});

describe('decide (one file of --update)', () => {
  const v = { from: '0.1.0', to: '0.2.0' };
  const file = (s: string): Ours => ({ kind: 'file', bytes: B(s), mode: 0o644 });
  const missing: Ours = { kind: 'missing' };
  it.each([
    // [case, base, ours, theirs, action]
    ['untouched, changed upstream', 'a\n', file('a\n'), 'b\n', 'update'],
    ['untouched in a CRLF checkout, changed upstream', 'a\n', file('a\r\n'), 'b\n', 'update'],
    ['untouched, unchanged upstream', 'a\n', file('a\n'), 'a\n', undefined],
    ['untouched in a CRLF checkout, unchanged upstream', 'a\nb\n', file('a\r\nb\r\n'), 'a\nb\n', undefined],
    ['edited, unchanged upstream', 'a\n', file('mine\n'), 'a\n', undefined],
    ['edited to what upstream has now', 'a\n', file('b\n'), 'b\n', undefined],
    ['edited, changed upstream', 'a\n', file('mine\n'), 'b\n', 'merge'],
    ['new in this version', undefined, missing, 'new\n', 'create'],
    ['new, in a folder you removed', undefined, { kind: 'missing', removedDir: 'p-common' }, 'new\n', 'keep'],
    ['gone upstream, untouched', 'a\n', file('a\n'), undefined, 'remove'],
    ['gone upstream, untouched in a CRLF checkout', 'a\n', file('a\r\n'), undefined, 'remove'],
    ['gone upstream, edited', 'a\n', file('mine\n'), undefined, 'keep'],
    ['gone upstream, deleted by you', 'a\n', missing, undefined, undefined],
    ['deleted by you, changed upstream', 'a\n', missing, 'b\n', 'keep'],
    ['deleted by you, unchanged upstream', 'a\n', missing, 'a\n', undefined],
    ['a link, a directory or a file in the way', 'a\n', { kind: 'blocked', reason: 'a symbolic link' }, 'b\n', 'keep'],
    ['too large to read, changed upstream', 'a\n', { kind: 'large', size: 1 << 30, mode: 0o644 }, 'b\n', 'conflict'],
    ['too large to read, unchanged upstream', 'a\n', { kind: 'large', size: 1 << 30, mode: 0o644 }, 'a\n', undefined],
  ] as const)('%s → %s', (_, base, ours, theirs, action) => {
    expect(decide('src/x.rs', base && B(base), ours, theirs && B(theirs), v)?.action).toBe(action);
  });

  it('writes an update in the line endings and mode of your file', () => {
    const d = decide('x', B('a\nb\n'), { kind: 'file', bytes: B('a\r\nb\r\n'), mode: 0o755 }, B('a\nc\n'), v)!;
    expect(d).toMatchObject({ action: 'update', mode: 0o755 });
    expect(d.contents!.toString()).toBe('a\r\nc\r\n');
  });

  it("a file it cannot merge stays yours; this version's copy goes beside it", () => {
    const d = decide('big.rs', B('a\n'), { kind: 'large', size: 1 << 30, mode: 0o644 }, B('b\n'), v)!;
    expect(d.contents).toBeUndefined();
    expect(d.beside).toEqual({ path: 'big.rs.create-aya-atomic-0.2.0', contents: B('b\n') });
  });

  it('takes the new aya-atomic.toml whole; merges Cargo.lock by package', () => {
    expect(decide('aya-atomic.toml', B('a\n'), file('edited\n'), B('b\n'), v)).toMatchObject({
      action: 'update',
      contents: B('b\n'),
    });
    expect(decide('Cargo.lock', undefined, file('built by you\n'), B('shipped\n'), v)).toMatchObject({
      action: 'merge',
      pending: { lock: true },
    });
  });
});
