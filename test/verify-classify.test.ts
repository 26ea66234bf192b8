// Build failures are classified from cargo's own output (SPEC, Verify).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyBuildFailure, errorLines, parseDoctor } from '../src/verify.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('build failure classification', () => {
  it('recognises an LLVM mismatch between the eBPF toolchain and bpf-linker', () => {
    const log = fixture('llvm-mismatch.log');
    expect(classifyBuildFailure(log)).toBe('llvm-mismatch');
    expect(errorLines(log).join('\n')).toMatch(/Invalid record/);
  });
  it('recognises crates that cannot be downloaded', () => {
    expect(classifyBuildFailure(fixture('offline.log'))).toBe('network');
  });
  it('calls anything else a compile error and shows its error lines', () => {
    const log = fixture('compile-error.log');
    expect(classifyBuildFailure(log)).toBe('compile');
    expect(errorLines(log)[0]).toMatch(/^error\[E0425\]/);
  });
  it('reads the doctor JSON line and nothing else', () => {
    expect(parseDoctor('noise\n{"ok":false,"checks":[{"name":"bpf-linker","ok":false,"detail":"not found","fix":"cargo install bpf-linker"}]}\n'))
      .toEqual([{ name: 'bpf-linker', ok: false, detail: 'not found', fix: 'cargo install bpf-linker' }]);
    expect(parseDoctor('error: could not compile `xtask`')).toBeUndefined();
  });
});
