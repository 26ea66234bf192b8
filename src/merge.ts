// A line-based three-way merge (diff3), for --update: `base` is what the recorded version generated,
// `ours` the file as the user has it now, `theirs` what this version generates. Regions only one side
// changed take that side; regions both changed the same way take it once; the rest are conflicts,
// written with the usual markers (diff3 style, with the base in between).

export interface MergeResult {
  text: string;
  conflicts: number;
}

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

/** For each line of `a`, the index of the line of `b` it is matched with in a longest common subsequence, or -1. */
function lcsMatch(a: readonly string[], b: readonly string[]): Int32Array {
  const match = new Int32Array(a.length).fill(-1);
  // Common prefix and suffix need no table.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    match[start] = start;
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
    match[endA] = endB;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return match;
  // lengths[i * (m + 1) + j]: LCS length of a[start + i ..] and b[start + j ..].
  const lengths = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * (m + 1) + j] =
        a[start + i] === b[start + j]
          ? lengths[(i + 1) * (m + 1) + j + 1] + 1
          : Math.max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1]);
    }
  }
  for (let i = 0, j = 0; i < n && j < m;) {
    if (a[start + i] === b[start + j]) {
      match[start + i] = start + j;
      i++;
      j++;
    } else if (lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1]) i++;
    else j++;
  }
  return match;
}

const same = (x: readonly string[], y: readonly string[]) =>
  x.length === y.length && x.every((line, i) => line === y[i]);

export function merge3(base: string, ours: string, theirs: string, labels: MergeLabels): MergeResult {
  if (ours === theirs) return { text: ours, conflicts: 0 };
  if (ours === base) return { text: theirs, conflicts: 0 };
  if (theirs === base) return { text: ours, conflicts: 0 };
  const o = base.split('\n');
  const a = ours.split('\n');
  const b = theirs.split('\n');
  const ma = lcsMatch(o, a);
  const mb = lcsMatch(o, b);
  const out: string[] = [];
  let conflicts = 0;
  let io = 0;
  let ia = 0;
  let ib = 0;
  for (;;) {
    // The next line of the base that both sides kept: everything before it is one changed region.
    let j = io;
    while (j < o.length && (ma[j] < ia || mb[j] < ib)) j++;
    const ea = j < o.length ? ma[j] : a.length;
    const eb = j < o.length ? mb[j] : b.length;
    const oc = o.slice(io, j);
    const ac = a.slice(ia, ea);
    const bc = b.slice(ib, eb);
    if (same(ac, oc)) out.push(...bc);
    else if (same(bc, oc) || same(ac, bc)) out.push(...ac);
    else {
      conflicts++;
      out.push(
        `<<<<<<< ${labels.ours}`,
        ...ac,
        `||||||| ${labels.base}`,
        ...oc,
        '=======',
        ...bc,
        `>>>>>>> ${labels.theirs}`,
      );
    }
    if (j >= o.length) break;
    out.push(o[j]);
    io = j + 1;
    ia = ea + 1;
    ib = eb + 1;
  }
  return { text: out.join('\n'), conflicts };
}
