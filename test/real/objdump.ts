// Reads the counter's add out of a disassembled eBPF object (llvm-objdump's BPF syntax).
/** The forms the counter's add can take in the disassembly. */
export type AddInstruction = 'locked-add' | 'atomic-fetch-add' | 'plain-add';

const LOCKED_ADD = /lock \*\(u64 \*\)\(r\d+ \+ 0x0\) \+= r\d+/;
const FETCH_ADD = /r\d+ = atomic_fetch_add\(\(u64 \*\)\(r\d+ \+ 0x0\), r\d+\)/;
const ANY_ATOMIC = /\block\b|atomic_/;
// A plain add on the value: load from a pointer, add 1, store back through it.
const PLAIN_LOAD = /(r\d+) = \*\(u64 \*\)\((r\d+) \+ 0x0\)/;

export function programSection(disassembly: string, sectionPrefix: string): string {
  const parts = disassembly.split(/\nDisassembly of section /);
  const hit = parts.find((p) => p.startsWith(sectionPrefix));
  if (!hit) throw new Error(`no section ${sectionPrefix}* in:\n${disassembly.slice(0, 2000)}`);
  return hit;
}

/** Which add instruction forms appear in a section's code. */
export function addForms(code: string): Set<AddInstruction> {
  const forms = new Set<AddInstruction>();
  if (LOCKED_ADD.test(code)) forms.add('locked-add');
  if (FETCH_ADD.test(code)) forms.add('atomic-fetch-add');
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const load = PLAIN_LOAD.exec(lines[i]);
    if (!load) continue;
    const [, reg, ptr] = load;
    const rest = lines.slice(i + 1, i + 6).join('\n');
    if (
      new RegExp(`${reg} \\+= 0x1\\b`).test(rest) &&
      new RegExp(`\\*\\(u64 \\*\\)\\(${ptr} \\+ 0x0\\) = ${reg}`).test(rest)
    ) {
      forms.add('plain-add');
    }
  }
  return forms;
}

export const hasAnyAtomic = (code: string) => ANY_ATOMIC.test(code);
