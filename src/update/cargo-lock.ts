// The team's Cargo.lock through an update (docs/update.md, "Cargo.lock"): merged by package, then settled
// by cargo. For each package name, the versions the recorded version's lock had (base), the team's lock
// has (ours) and this version's lock has (theirs) are compared as a three-way merge of sets: a package the
// team left as generated takes this version's pins; a package only the team changed (a dependency it
// added, a version it moved) keeps the team's pins; a package both changed keeps both, and cargo picks, but
// for semver-compatible versions, which cargo cannot hold together: of those, this version's (the one it was
// tested with) stays, and the team's edges follow it.
// The result is the previous resolve cargo starts from: `cargo update --workspace` keeps every version
// in it that still fits the manifests and resolves only what they need beyond it, so no pin of the team's
// moves unless a new requirement forces it, and the lock ends as cargo itself writes it (--locked works).
import { parse } from 'smol-toml';

interface Entry {
  name: string;
  version: string;
  source?: string;
  checksum?: string;
  /** Dependencies as ids (`name version source`) within the lock they came from. */
  deps: string[];
}

const idOf = (e: { name: string; version: string; source?: string }) => `${e.name} ${e.version} ${e.source ?? ''}`;

/** The packages of a Cargo.lock (format 3 or 4), or undefined when it is not one this merge reads. */
export function parseLock(text: string): { version: number; entries: Entry[] } | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  const version = doc.version;
  const packages = doc.package;
  // Format 1 and 2 keep checksums in [metadata]; `patch` holds unused patches: leave those to cargo.
  if (typeof version !== 'number' || version < 3 || !Array.isArray(packages)) return undefined;
  if (Object.keys(doc).some((k) => !['version', 'package'].includes(k))) return undefined;
  const raw: { name: string; version: string; source?: string; checksum?: string; dependencies: string[] }[] = [];
  for (const p of packages as Record<string, unknown>[]) {
    if (typeof p.name !== 'string' || typeof p.version !== 'string') return undefined;
    if (Object.keys(p).some((k) => !['name', 'version', 'source', 'checksum', 'dependencies'].includes(k)))
      return undefined;
    const deps = p.dependencies ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) return undefined;
    raw.push({
      name: p.name,
      version: p.version,
      source: typeof p.source === 'string' ? p.source : undefined,
      checksum: typeof p.checksum === 'string' ? p.checksum : undefined,
      dependencies: deps as string[],
    });
  }
  // A dependency is written `name`, `name version` or `name version (source)`: the id it names in this lock.
  const byName = new Map<string, typeof raw>();
  for (const p of raw) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const resolveDep = (ref: string): string | undefined => {
    const m = /^(\S+)(?: (\S+))?(?: \((.+)\))?$/.exec(ref);
    if (!m) return undefined;
    const hits = (byName.get(m[1]) ?? []).filter(
      (p) => (m[2] === undefined || p.version === m[2]) && (m[3] === undefined || p.source === m[3]),
    );
    return hits.length === 1 ? idOf(hits[0]) : undefined;
  };
  const entries = raw.map((p) => ({
    name: p.name,
    version: p.version,
    source: p.source,
    checksum: p.checksum,
    deps: p.dependencies.map(resolveDep).filter((d): d is string => d !== undefined),
  }));
  return { version, entries };
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/**
 * Merges the team's lock (`ours`) with this version's (`theirs`), against the recorded version's
 * (`base`; undefined when it shipped none: then every version in the team's lock counts as the team's).
 * Undefined when a lock is not one this merge reads.
 */
export function mergeLocks(base: string | undefined, ours: string, theirs: string): string | undefined {
  const [b, o, t] = [
    base === undefined ? { version: 4, entries: [] } : parseLock(base),
    parseLock(ours),
    parseLock(theirs),
  ];
  if (!b || !o || !t) return undefined;
  const group = (entries: Entry[]) => {
    const m = new Map<string, Map<string, Entry>>();
    for (const e of entries) m.set(e.name, (m.get(e.name) ?? new Map()).set(idOf(e), e));
    return m;
  };
  const [B, O, T] = [group(b.entries), group(o.entries), group(t.entries)];
  const chosen = new Map<string, Entry>();
  /** The team's ids replaced by a compatible one of this version's. */
  const redirect = new Map<string, string>();
  for (const name of new Set([...O.keys(), ...T.keys()])) {
    const [bn, on, tn] = [
      B.get(name) ?? new Map<string, Entry>(),
      O.get(name) ?? new Map<string, Entry>(),
      T.get(name) ?? new Map<string, Entry>(),
    ];
    const ids = (m: Map<string, Entry>) => new Set(m.keys());
    const members = [...on.values(), ...tn.values()].some((e) => e.source === undefined);
    let take: Entry[];
    if (members) {
      // A workspace member: one entry per path package; its edges from both locks (cargo drops the stale ones).
      const merged = new Map<string, Entry>(on);
      for (const [id, e] of tn) {
        const mine = merged.get(id);
        merged.set(id, mine ? { ...e, deps: [...new Set([...e.deps, ...mine.deps])] } : e);
      }
      take = [...merged.values()];
    } else if (sameSet(ids(on), ids(bn))) take = [...tn.values()];
    else if (sameSet(ids(tn), ids(bn))) take = [...on.values()];
    else {
      take = [...tn.values()];
      for (const [id, e] of on) {
        const same = [...tn.values()].find((x) => x.source === e.source && compatible(x.version, e.version));
        if (same) redirect.set(id, idOf(same));
        else take.push(e);
      }
    }
    for (const e of take) chosen.set(idOf(e), e);
  }
  const entries = [...chosen.values()].map((e) => ({ ...e, deps: e.deps.map((d) => redirect.get(d) ?? d) }));
  return serializeLock(t.version, entries);
}

/** Whether cargo counts two versions as semver-compatible (the same leftmost non-zero of major, minor, patch). */
function compatible(a: string, b: string): boolean {
  const key = (v: string) => {
    const [major, minor, patch] = v.split(/[.+-]/);
    return major !== '0' ? major : minor !== '0' ? `0.${minor}` : `0.0.${patch}`;
  };
  return key(a) === key(b);
}

function compareVersionText(a: string, b: string): number {
  const [pa, pb] = [a.split(/[.+-]/), b.split(/[.+-]/)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? '', pb[i] ?? ''];
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
}

/** A lock in cargo's layout; a dependency names only as much as tells it apart in this lock. */
function serializeLock(version: number, entries: Entry[]): string {
  entries.sort(
    (x, y) =>
      (x.name < y.name ? -1 : x.name > y.name ? 1 : 0) ||
      compareVersionText(x.version, y.version) ||
      (x.source ?? '').localeCompare(y.source ?? ''),
  );
  const byId = new Map(entries.map((e) => [idOf(e), e]));
  const count = (pred: (e: Entry) => boolean) => entries.filter(pred).length;
  const ref = (id: string) => {
    const e = byId.get(id)!;
    if (count((x) => x.name === e.name) === 1) return e.name;
    if (count((x) => x.name === e.name && x.version === e.version) === 1) return `${e.name} ${e.version}`;
    return `${e.name} ${e.version} (${e.source})`;
  };
  const q = (s: string) => JSON.stringify(s);
  const blocks = entries.map((e) => {
    const lines = [`[[package]]`, `name = ${q(e.name)}`, `version = ${q(e.version)}`];
    if (e.source) lines.push(`source = ${q(e.source)}`);
    if (e.checksum) lines.push(`checksum = ${q(e.checksum)}`);
    const deps = [...new Set(e.deps.filter((d) => byId.has(d)).map(ref))].sort();
    if (deps.length) lines.push('dependencies = [', ...deps.map((d) => ` ${q(d)},`), ']');
    return lines.join('\n');
  });
  const head = `# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = ${version}`;
  return `${[head, ...blocks].join('\n\n')}\n`;
}
