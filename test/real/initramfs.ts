// An initramfs for a test VM, written here (a cpio "newc" archive): files copied from this machine with the
// shared libraries `ldd` lists for them, at the same paths, plus whatever a test adds.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, lstatSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface Entry {
  mode: number;
  data: Buffer;
  /** Device numbers, for a character device. */
  rdev?: [number, number];
}

const FILE = 0o100000;
const DIR = 0o040000;
const LINK = 0o120000;
const CHAR = 0o020000;

export class Initramfs {
  private entries = new Map<string, Entry>();

  /** A directory and its parents. */
  dir(name: string): this {
    const parts = name.replace(/^\/+/, '').split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.entries.has(dir)) this.entries.set(dir, { mode: DIR | 0o755, data: Buffer.alloc(0) });
    }
    return this;
  }

  /** A regular file with these contents (its parents are made). */
  file(name: string, data: string | Buffer, mode = 0o644): this {
    const rel = name.replace(/^\/+/, '');
    this.dir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    this.entries.set(rel, { mode: FILE | mode, data: Buffer.from(data) });
    return this;
  }

  symlink(name: string, target: string): this {
    const rel = name.replace(/^\/+/, '');
    this.dir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    this.entries.set(rel, { mode: LINK | 0o777, data: Buffer.from(target) });
    return this;
  }

  /** `/dev/console`, which the kernel opens for /init before anything is mounted. */
  console(): this {
    this.dir('dev');
    this.entries.set('dev/console', { mode: CHAR | 0o600, data: Buffer.alloc(0), rdev: [5, 1] });
    return this;
  }

  /** A file of this machine at `to` (default: the same path), and every shared library it loads, at their paths. */
  host(from: string, to = from): this {
    const stat = lstatSync(from);
    const data = readFileSync(realpathSync(from));
    this.file(to, data, stat.mode & 0o777);
    if (!(stat.mode & 0o111)) return this;
    let ldd: string;
    try {
      ldd = execFileSync('ldd', [from], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return this; // static, or not an ELF file: nothing to add
    }
    for (const lib of ldd.match(/\/\S+/g) ?? []) {
      if (!this.entries.has(lib.replace(/^\/+/, ''))) this.file(lib, readFileSync(realpathSync(lib)), 0o755);
    }
    return this;
  }

  /** A directory tree of this machine, as it is (symbolic links stay links). */
  tree(from: string, to = from, skip: (rel: string) => boolean = () => false): this {
    const walk = (dir: string, rel: string) => {
      this.dir(path.posix.join(to, rel));
      for (const name of execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
        const full = path.join(dir, name);
        const sub = path.posix.join(rel, name);
        if (skip(sub)) continue;
        const stat = lstatSync(full);
        if (stat.isSymbolicLink()) this.symlink(path.posix.join(to, sub), readlinkSync(full));
        else if (stat.isDirectory()) walk(full, sub);
        else if (stat.isFile()) this.file(path.posix.join(to, sub), readFileSync(full), stat.mode & 0o777);
      }
    };
    walk(from, '');
    return this;
  }

  write(file: string): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const push = (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      const pad = (4 - (size % 4)) % 4;
      if (pad) {
        chunks.push(Buffer.alloc(pad));
        size += pad;
      }
    };
    let ino = 1;
    const add = (name: string, e: Entry) => {
      const fields = [
        ino++,
        e.mode,
        0,
        0,
        (e.mode & 0o170000) === DIR ? 2 : 1,
        0,
        e.data.length,
        0,
        0,
        e.rdev?.[0] ?? 0,
        e.rdev?.[1] ?? 0,
        Buffer.byteLength(name) + 1,
        0,
      ];
      push(Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`));
      push(e.data);
    };
    // Parents before children: sorted paths put `a` before `a/b`.
    for (const name of [...this.entries.keys()].sort()) add(name, this.entries.get(name)!);
    add('TRAILER!!!', { mode: 0, data: Buffer.alloc(0) });
    writeFileSync(file, Buffer.concat(chunks));
  }
}
