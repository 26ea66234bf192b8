// The three-way merge and the per-file decisions of --update, in-process, with literal expectations.
import { describe, expect, it } from 'vitest';
import { merge3 } from '../../src/merge.js';
import { decide } from '../../src/update.js';

const labels = { ours: 'yours', base: 'create-aya-atomic 0.1.0', theirs: 'create-aya-atomic 0.2.0' };
const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('merge3', () => {
  it('takes the side that changed', () => {
    const base = lines('a', 'b', 'c');
    expect(merge3(base, base, lines('a', 'B', 'c'), labels)).toEqual({ text: lines('a', 'B', 'c'), conflicts: 0 });
    expect(merge3(base, lines('a', 'b2', 'c'), base, labels)).toEqual({ text: lines('a', 'b2', 'c'), conflicts: 0 });
  });

  it('keeps both sides when they changed different lines', () => {
    const base = lines('fn main() {', '    one();', '    two();', '    three();', '}');
    const ours = lines('fn main() {', '    one(); // mine', '    two();', '    three();', '}');
    const theirs = lines('fn main() {', '    one();', '    two();', '    three(3);', '}');
    expect(merge3(base, ours, theirs, labels)).toEqual({
      text: lines('fn main() {', '    one(); // mine', '    two();', '    three(3);', '}'),
      conflicts: 0,
    });
  });

  it('keeps insertions and deletions of both sides', () => {
    const base = lines('a', 'b', 'c', 'd', 'e');
    const ours = lines('a', 'added by you', 'b', 'c', 'd', 'e');
    const theirs = lines('a', 'b', 'c', 'e', 'added upstream');
    expect(merge3(base, ours, theirs, labels).text).toBe(lines('a', 'added by you', 'b', 'c', 'e', 'added upstream'));
  });

  it('takes an identical change once', () => {
    const base = lines('a', 'b');
    expect(merge3(base, lines('a', 'x', 'b'), lines('a', 'x', 'b'), labels)).toEqual({
      text: lines('a', 'x', 'b'),
      conflicts: 0,
    });
  });

  it('marks a change of the same lines as a conflict, with the base in between', () => {
    const base = lines('const CPU: &str = "generic";', 'keep');
    const ours = lines('const CPU: &str = "v2";', 'keep');
    const theirs = lines('const CPU: &str = "v3";', 'keep');
    expect(merge3(base, ours, theirs, labels)).toEqual({
      text: lines(
        '<<<<<<< yours',
        'const CPU: &str = "v2";',
        '||||||| create-aya-atomic 0.1.0',
        'const CPU: &str = "generic";',
        '=======',
        'const CPU: &str = "v3";',
        '>>>>>>> create-aya-atomic 0.2.0',
        'keep',
      ),
      conflicts: 1,
    });
  });

  it('counts separate conflicts', () => {
    const base = lines('1', 'x', '2', 'y', '3');
    const r = merge3(base, lines('1', 'xa', '2', 'ya', '3'), lines('1', 'xb', '2', 'yb', '3'), labels);
    expect(r.conflicts).toBe(2);
    expect(r.text.split('\n').filter((l) => l.startsWith('<<<<<<<'))).toHaveLength(2);
  });

  it('a file both sides added differently (no base) is one conflict', () => {
    const r = merge3('', lines('mine'), lines('theirs'), labels);
    expect(r.conflicts).toBe(1);
    expect(r.text).toContain('mine');
    expect(r.text).toContain('theirs');
  });
});

describe('decide (one file of --update)', () => {
  const v = { from: '0.1.0', to: '0.2.0' };
  it.each([
    // [case, base, ours, theirs, action]
    ['untouched, changed upstream', 'a\n', 'a\n', 'b\n', 'update'],
    ['untouched, unchanged upstream', 'a\n', 'a\n', 'a\n', undefined],
    ['edited, unchanged upstream', 'a\n', 'mine\n', 'a\n', undefined],
    ['edited to what upstream has now', 'a\n', 'b\n', 'b\n', undefined],
    ['new in this version', undefined, undefined, 'new\n', 'create'],
    ['gone upstream, untouched', 'a\n', 'a\n', undefined, 'remove'],
    ['gone upstream, edited', 'a\n', 'mine\n', undefined, 'keep'],
    ['gone upstream, deleted by you', 'a\n', undefined, undefined, undefined],
    ['deleted by you, changed upstream', 'a\n', undefined, 'b\n', 'keep'],
    ['deleted by you, unchanged upstream', 'a\n', undefined, 'a\n', undefined],
    ['a directory where a file was', 'a\n', null, 'b\n', 'keep'],
  ] as const)('%s → %s', (_, base, ours, theirs, action) => {
    expect(decide('src/x.rs', base, ours, theirs, v)?.action).toBe(action);
  });

  it('merges edits in other lines, and marks edits in the same lines', () => {
    expect(decide('x', '1\n2\n3\n', 'one\n2\n3\n', '1\n2\nthree\n', v)).toEqual({
      path: 'x',
      action: 'merge',
      contents: 'one\n2\nthree\n',
    });
    const conflict = decide('x', '1\n', 'one\n', 'uno\n', v)!;
    expect(conflict.action).toBe('conflict');
    expect(conflict.contents).toContain('>>>>>>> create-aya-atomic 0.2.0');
  });

  it('takes the new aya-atomic.toml and Cargo.lock whole, saying why', () => {
    expect(decide('aya-atomic.toml', 'a\n', 'edited\n', 'b\n', v)).toMatchObject({ action: 'update', contents: 'b\n' });
    expect(decide('Cargo.lock', undefined, 'built by you\n', 'shipped\n', v)).toMatchObject({
      action: 'update',
      contents: 'shipped\n',
    });
  });
});
