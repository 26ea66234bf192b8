// Versions of create-aya-atomic as aya-atomic.toml records them: exactly a released version, semver's
// MAJOR.MINOR.PATCH with an optional pre-release (https://semver.org/#spec-item-9), never a range, a
// tag, a path or a URL. --update turns it into a package to fetch, so it is data checked here, not a spec.

const IDENT = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const RELEASED = new RegExp(`^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-(${IDENT}(?:\\.${IDENT})*))?$`);

export function isReleasedVersion(v: string): boolean {
  return v.length <= 256 && RELEASED.test(v);
}

/** Semver precedence of two released versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const [ma, mb] = [RELEASED.exec(a), RELEASED.exec(b)];
  if (!ma || !mb) throw new Error(`not released versions: ${a}, ${b}`);
  for (let i = 1; i <= 3; i++) {
    const d = compareNumbers(ma[i], mb[i]);
    if (d) return d;
  }
  const [pa, pb] = [ma[4], mb[4]];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const [xa, xb] = [pa.split('.'), pb.split('.')];
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const [na, nb] = [/^\d+$/.test(xa[i]), /^\d+$/.test(xb[i])];
    if (na && nb) {
      const d = compareNumbers(xa[i], xb[i]);
      if (d) return d;
    } else if (na !== nb) return na ? -1 : 1;
    else if (xa[i] !== xb[i]) return xa[i] < xb[i] ? -1 : 1;
  }
  return 0;
}

/** Compares decimal strings without leading zeros, of any length. */
const compareNumbers = (a: string, b: string) =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
