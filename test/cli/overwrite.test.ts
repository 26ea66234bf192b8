// "Nothing lost": non-empty targets, --overwrite with backups, symbolic links at template paths,
// metadata-only directories, and Ctrl-C while writing (rolled back to exactly what was there).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTmp, parseJson, runCli, show, snapshot, startCli, waitUntil, type TreeEntry } from '../helpers/cli.js';

const STAGING = '.create-aya-atomic-staging-';
const BACKUP = '.aya-atomic-backup-';

/**
 * <root>/outside: a file and a directory the target links to.
 * <root>/probe: a file, a link and a nested file at template file paths, a link where a template
 * directory is, a file where a template directory is, and files the template does not write.
 */
function populated() {
  const root = makeTmp('nonempty');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(outside, 'ebpf-dir', 'src'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'readme.txt'), 'outside readme\n');
  fs.writeFileSync(path.join(outside, 'ebpf-dir', 'Cargo.toml'), 'outside cargo\n');
  fs.writeFileSync(path.join(outside, 'ebpf-dir', 'src', 'main.rs'), 'fn outside() {}\n');
  const target = path.join(root, 'probe');
  fs.mkdirSync(path.join(target, 'probe-common'), { recursive: true });
  fs.mkdirSync(path.join(target, 'docs'));
  fs.writeFileSync(path.join(target, 'Cargo.toml'), '[workspace] # mine\n');
  fs.writeFileSync(path.join(target, 'probe-common', 'Cargo.toml'), 'mine too\n', { mode: 0o600 });
  fs.writeFileSync(path.join(target, 'probe-common', 'keep.rs'), '// untouched\n');
  fs.writeFileSync(path.join(target, 'notes.txt'), 'notes\n');
  fs.writeFileSync(path.join(target, 'docs', 'a.md'), '# a\n');
  fs.writeFileSync(path.join(target, 'xtask'), 'a file where the template has a directory\n');
  fs.symlinkSync('../outside/readme.txt', path.join(target, 'README.md'));
  fs.symlinkSync(path.join(outside, 'ebpf-dir'), path.join(target, 'probe-ebpf'));
  return { root, outside, target };
}
const EXPECTED_CONFLICTS = ['Cargo.toml', 'README.md', 'probe-common/Cargo.toml', 'probe-ebpf', 'xtask'];

const under = (p: string, prefix: string) => p === prefix || p.startsWith(`${prefix}/`);

describe('a non-empty directory', () => {
  it('without --overwrite: exit 3, every byte untouched, the message says how to proceed', async () => {
    const { root, target } = populated();
    const before = snapshot(root);
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd: root });
    expect(result.code, show(result)).toBe(3);
    expect(snapshot(root)).toEqual(before);
    expect(result.stderr).toContain(`${target} is not empty`);
    expect(result.stderr).toContain('--overwrite');
    expect(result.stderr).toContain(`${EXPECTED_CONFLICTS.length} path(s) the template writes would be backed up and replaced`);
  });

  it('with --overwrite: only template paths are replaced, originals are in the named backup, links moved as links', async () => {
    const { root, outside, target } = populated();
    const before = snapshot(target);
    const outsideBefore = snapshot(outside);
    const result = await runCli(['probe', '--yes', '--no-git', '--overwrite', '--json'], { cwd: root });
    expect(result.code, show(result)).toBe(0);
    const report = parseJson(result);

    // The output lists the replaced paths and names the backup folder.
    const backupDir: string = report.backupDir;
    expect(path.dirname(backupDir)).toBe(target);
    expect(path.basename(backupDir).startsWith(BACKUP)).toBe(true);
    expect(result.stderr).toContain(`replace ${EXPECTED_CONFLICTS.length} existing path(s): ${EXPECTED_CONFLICTS.join(', ')}`);
    expect(result.stderr).toContain(backupDir);
    const replaced = (report.files as { path: string; action: string }[]).filter((f) => f.action === 'replace').map((f) => f.path);
    for (const p of replaced) expect(EXPECTED_CONFLICTS.some((c) => under(p, c)), p).toBe(true);
    for (const c of ['Cargo.toml', 'README.md', 'probe-common/Cargo.toml']) expect(replaced).toContain(c);
    expect(replaced.some((p) => p.startsWith('probe-ebpf/'))).toBe(true);
    expect(replaced.some((p) => p.startsWith('xtask/'))).toBe(true);

    // Every pre-existing entry is still there: in place, or (at a template path) in the backup.
    const after = snapshot(target);
    const backupRel = path.basename(backupDir);
    for (const [p, entry] of Object.entries(before)) {
      const conflict = EXPECTED_CONFLICTS.find((c) => under(p, c));
      if (conflict) expect(after[`${backupRel}/${p}`], `${p} in the backup`).toEqual(entry);
      else if (entry.type === 'dir') expect(after[p]?.type, p).toBe('dir');
      else expect(after[p], `${p} in place`).toEqual(entry);
    }
    // Nothing but the template's files, their directories and the backup is new.
    const planned = new Set((report.files as { path: string }[]).map((f) => f.path));
    for (const p of Object.keys(after)) {
      if (p in before || planned.has(p) || under(p, backupRel)) continue;
      expect([...planned].some((f) => f.startsWith(`${p}/`)), `unexpected new path ${p}`).toBe(true);
    }
    expect(Object.keys(after).some((p) => p.startsWith(STAGING))).toBe(false);

    // Links were moved, never written through.
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(after['README.md'].type).toBe('file');
    expect(after[`${backupRel}/README.md`]).toEqual({ type: 'symlink', target: '../outside/readme.txt' });
    expect(after['probe-ebpf'].type).toBe('dir');
    expect(after[`${backupRel}/probe-ebpf`]).toEqual({ type: 'symlink', target: path.join(outside, 'ebpf-dir') });
    expect(after['xtask'].type).toBe('dir');
    expect(fs.readFileSync(path.join(target, 'Cargo.toml'), 'utf8')).toContain('probe-ebpf');
  });

  it('prints the backup folder without --json too', async () => {
    const { root, target } = populated();
    const result = await runCli(['probe', '--yes', '--no-git', '--overwrite'], { cwd: root });
    expect(result.code, show(result)).toBe(0);
    const backups = fs.readdirSync(target).filter((e) => e.startsWith(BACKUP));
    expect(backups).toHaveLength(1);
    expect(result.stdout).toContain(`The ${EXPECTED_CONFLICTS.length} replaced original(s) are in ${path.join(target, backups[0])}`);
    expect(result.stdout).toContain(`Backing up and replace ${EXPECTED_CONFLICTS.length} existing path(s)`);
  });

  it('with --overwrite and no conflicting path: no backup folder, other files untouched', async () => {
    const root = makeTmp('overwrite-noconflict');
    fs.mkdirSync(path.join(root, 'probe'));
    fs.writeFileSync(path.join(root, 'probe', 'notes.txt'), 'notes\n');
    const result = await runCli(['probe', '--yes', '--no-git', '--overwrite', '--json'], { cwd: root });
    expect(result.code, show(result)).toBe(0);
    expect(parseJson(result).backupDir).toBeUndefined();
    expect(fs.readdirSync(path.join(root, 'probe')).filter((e) => e.startsWith('.aya'))).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'probe', 'notes.txt'), 'utf8')).toBe('notes\n');
  });

  it('holding only .git, .vscode and .DS_Store counts as empty; those stay untouched', async () => {
    const root = makeTmp('metadata');
    const target = path.join(root, 'probe');
    fs.mkdirSync(path.join(target, '.git'), { recursive: true });
    fs.writeFileSync(path.join(target, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.mkdirSync(path.join(target, '.vscode'));
    fs.writeFileSync(path.join(target, '.vscode', 'settings.json'), '{}\n');
    fs.writeFileSync(path.join(target, '.DS_Store'), 'x');
    const before = snapshot(target);
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd: root });
    expect(result.code, show(result)).toBe(0);
    const after = snapshot(target);
    for (const [p, e] of Object.entries(before)) expect(after[p], p).toEqual(e);
    expect(after['aya-atomic.toml']?.type).toBe('file');
    expect(Object.keys(after).some((p) => p.startsWith(BACKUP))).toBe(false);
  });

  it('holding anything else (a dotfile) is not empty', async () => {
    const root = makeTmp('dotfile');
    fs.mkdirSync(path.join(root, 'probe'));
    fs.writeFileSync(path.join(root, 'probe', '.env'), 'SECRET=1\n');
    const result = await runCli(['probe', '--yes', '--no-git'], { cwd: root });
    expect(result.code, show(result)).toBe(3);
    expect(fs.readdirSync(path.join(root, 'probe'))).toEqual(['.env']);
  });
});

describe('Ctrl-C while writing', () => {
  const DELAY = { CREATE_AYA_ATOMIC_WRITE_DELAY_MS: '200' };
  /** Files moved into place so far (not counting the staging area or pre-existing entries). */
  const movedFiles = (target: string, before: Record<string, TreeEntry>) =>
    Object.entries(snapshot(target)).filter(
      ([p, e]) => e.type === 'file' && !p.startsWith(STAGING) && !p.startsWith(BACKUP) && !(p in before),
    ).length;

  // SIGTERM and SIGHUP (a CI timeout, a closed terminal) get the same clean-up as Ctrl-C.
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s into a missing directory: exit 130 and the directory does not exist afterwards',
    async (signal) => {
      const root = makeTmp(`${signal}-missing`);
      const target = path.join(root, 'probe');
      const { child, done } = startCli(['probe', '--yes', '--no-git'], { cwd: root, env: DELAY });
      await waitUntil(() => fs.existsSync(target) && movedFiles(target, {}) >= 3, 'three files moved into place');
      child.kill(signal);
      const result = await done;
      expect(result.code, show(result)).toBe(130);
      expect(result.stdout + result.stderr).toContain('Cancelled while writing');
      expect(fs.existsSync(target)).toBe(false);
      expect(fs.readdirSync(root)).toEqual([]);
    },
  );

  it('into an existing empty directory: exit 130 and it is empty again', async () => {
    const root = makeTmp('sigint-empty');
    const target = path.join(root, 'probe');
    fs.mkdirSync(target);
    const { child, done } = startCli(['probe', '--yes', '--no-git'], { cwd: root, env: DELAY });
    await waitUntil(() => movedFiles(target, {}) >= 3, 'three files moved into place');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, show(result)).toBe(130);
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('with --overwrite: exit 130, original bytes and links restored, no backup folder left', async () => {
    const { root, outside, target } = populated();
    const before = snapshot(root);
    const targetBefore = snapshot(target);
    const { child, done } = startCli(['probe', '--yes', '--no-git', '--overwrite'], { cwd: root, env: DELAY });
    // Half-way, after the link at probe-ebpf was moved aside and a real probe-ebpf/ directory written.
    const ebpf = path.join(target, 'probe-ebpf');
    await waitUntil(
      () => fs.lstatSync(ebpf, { throwIfNoEntry: false })?.isDirectory() === true && fs.existsSync(path.join(ebpf, 'Cargo.toml')),
      'probe-ebpf/Cargo.toml moved into place',
    );
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, show(result)).toBe(130);
    expect(result.stdout + result.stderr).toContain('Cancelled while writing');
    expect(snapshot(root)).toEqual(before);
    expect(snapshot(outside)).toEqual(snapshotOf(before, 'outside'));
  });
});

function snapshotOf(tree: Record<string, TreeEntry>, prefix: string): Record<string, TreeEntry> {
  return Object.fromEntries(Object.entries(tree).filter(([p]) => p.startsWith(`${prefix}/`)).map(([p, e]) => [p.slice(prefix.length + 1), e]));
}
