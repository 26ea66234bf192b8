// The base of the merge: what the recorded version generated for the recorded options, rendered again
// (docs/update.md, "The base"). This version renders itself in-process. An earlier release is fetched as
// exactly that version's tarball (from CREATE_AYA_ATOMIC_PACKAGES, else `npm pack create-aya-atomic@X.Y.Z`
// with the user's own npm configuration: registry, cache, proxy), unpacked into a temporary folder and
// its bin run with this Node: no package manager resolves anything, so none can substitute another
// version. What it rendered must record that version before it is used.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_FILE, parseConfig, serializeConfig } from '../config-file.js';
import { npmChildEnv } from '../package-manager.js';
import { CliError, EXIT, cancelled, inTemporaryFolder, temporaryFolderError } from '../errors.js';
import { firstErrorLine } from '../git.js';
import type { Options } from '../options.js';
import { planWorkspace, templatesNeeded } from '../plan.js';
import { CONFIG_LIMIT, ReadError, readRegularText } from '../read-file.js';
import { run } from '../run.js';
import { loadTemplates } from '../templates.js';
import { printable } from '../validate.js';
import { readTree } from './workspace.js';

export type Tree = Map<string, Buffer>;

/** What this version generates for `options`, in-process. */
export function renderThisVersion(options: Options, version: string): Tree {
  return new Map(
    planWorkspace(options, version, loadTemplates(templatesNeeded(options))).map((f) => [
      f.path,
      Buffer.from(f.contents, 'utf8'),
    ]),
  );
}

/** A new folder in the temporary directory; an error names TMPDIR, not the workspace. */
export function temporaryFolder(prefix: string): string {
  try {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  } catch (e) {
    throw temporaryFolderError('create a temporary folder in', e);
  }
}

export interface ReleaseSource {
  /** CREATE_AYA_ATOMIC_PACKAGES, absolute: a folder of create-aya-atomic-<version>.tgz files. */
  packages?: string;
  /** Where temporary folders go (this run's own). */
  tmp: string;
  signal: AbortSignal;
  /** This version, to read what the release rendered. */
  thisVersion: string;
}

// The npm that started us passes its own run on in npm_* variables; they would change what `npm pack` does
// (a --dry-run, --json or --package of ours). The user's registry, cache, proxy and credentials settings stay.
const OUR_NPM_RUN =
  /^npm_(lifecycle_|package_|command$|config_(dry_run|json|package|call|yes|global|workspaces?|include_workspace_root|parseable|long|pack_destination)$)/i;

/** npm as the npm that started us (when it is npm), else the one on PATH; never through a shell. */
function npmCommand(): [string, string[]] {
  const execpath = process.env.npm_execpath;
  if (execpath && /[\\/]npm-cli\.js$/.test(execpath)) return [process.execPath, [execpath]];
  return ['npm', []];
}

function failure(version: string, what: string): CliError {
  return new CliError(
    `Cannot render what create-aya-atomic ${version} generated, which the update needs as the base of its merge: ${what}\n` +
      `Nothing was changed. To work offline, set CREATE_AYA_ATOMIC_PACKAGES to a folder holding create-aya-atomic-${version}.tgz (npm pack create-aya-atomic@${version}).`,
    EXIT.unexpected,
    'unexpected',
  );
}

/** The tarball of exactly `version`: from the packages folder, else fetched by `npm pack`. */
async function tarball(version: string, source: ReleaseSource): Promise<string> {
  const name = `create-aya-atomic-${version}.tgz`;
  if (source.packages) {
    const file = path.join(source.packages, name);
    // `version` is a checked x.y.z[-pre]; still, the file must be a direct child of the folder.
    if (path.dirname(file) !== source.packages) throw failure(version, `${printable(name)} is not a file name`);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st?.isFile()) return file;
    if (st) throw failure(version, `${printable(file)} is not a regular file`);
  }
  const dest = inTemporaryFolder(() => fs.mkdtempSync(path.join(source.tmp, 'pack-')));
  const env = npmChildEnv(Object.fromEntries(Object.entries(process.env).filter(([k]) => !OUR_NPM_RUN.test(k))));
  const [npm, pre] = npmCommand();
  const r = await run(
    npm,
    [
      ...pre,
      'pack',
      `create-aya-atomic@${version}`,
      '--pack-destination',
      dest,
      '--json',
      '--ignore-scripts',
      '--prefer-offline',
    ],
    {
      cwd: source.tmp,
      signal: source.signal,
      env: { ...env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' },
      replaceEnv: true,
    },
  );
  if (source.signal.aborted) throw cancelled('Cancelled; nothing was changed.');
  if (r.failedToStart !== undefined)
    throw failure(version, `npm, which fetches it, cannot be run (${printable(r.failedToStart)}).`);
  if (r.code !== 0) {
    // E404: the registry has no such package; ETARGET: it has the package, not this version.
    if (/\b(E404|ETARGET)\b|404 Not Found|No matching version/.test(r.output))
      throw failure(
        version,
        `it is not on the npm registry npm uses here (npm pack create-aya-atomic@${version}: ${/ETARGET|No matching version/.test(r.output) ? 'no such version' : '404'}).`,
      );
    throw failure(version, `npm pack create-aya-atomic@${version} failed: ${firstErrorLine(r.stderr || r.stdout)}`);
  }
  const packed = fs.readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (packed.length !== 1) throw failure(version, `npm pack wrote ${packed.length} tarballs into ${printable(dest)}`);
  return path.join(dest, packed[0]);
}

/** A release, fetched and unpacked once: `render` runs it for some options and reads what it generated. */
export interface Release {
  render(options: Options): Promise<Tree>;
}

/** The release `version`: its tarball fetched (or taken from the packages folder) and unpacked, its bin found. */
export async function openRelease(version: string, source: ReleaseSource): Promise<Release> {
  const tgz = await tarball(version, source);
  const unpacked = inTemporaryFolder(() => fs.mkdtempSync(path.join(source.tmp, 'release-')));
  const tar = await run('tar', ['-x', '-z', '-f', tgz, '-C', unpacked, '--no-same-owner'], {
    cwd: source.tmp,
    signal: source.signal,
  });
  if (source.signal.aborted) throw cancelled('Cancelled; nothing was changed.');
  if (tar.code !== 0)
    throw failure(version, `cannot unpack ${printable(tgz)} (tar: ${tar.failedToStart ?? firstErrorLine(tar.stderr)})`);
  const root = path.join(unpacked, 'package');
  let manifest: { name?: unknown; version?: unknown; bin?: unknown };
  try {
    manifest = JSON.parse(readRegularText(path.join(root, 'package.json'), CONFIG_LIMIT)) as typeof manifest;
  } catch (e) {
    throw failure(
      version,
      `${printable(tgz)} holds no readable package.json (${e instanceof ReadError ? e.what : String(e)})`,
    );
  }
  if (manifest.name !== 'create-aya-atomic' || manifest.version !== version)
    throw failure(
      version,
      `${printable(tgz)} is ${printable(String(manifest.name))}@${printable(String(manifest.version))}, not create-aya-atomic@${version}`,
    );
  const binField =
    typeof manifest.bin === 'string'
      ? manifest.bin
      : (manifest.bin as Record<string, unknown> | undefined)?.['create-aya-atomic'];
  const bin = typeof binField === 'string' ? path.resolve(root, binField) : undefined;
  if (!bin || path.relative(root, bin).startsWith('..') || !fs.statSync(bin, { throwIfNoEntry: false })?.isFile())
    throw failure(version, `the package has no create-aya-atomic bin`);
  return { render: (options) => renderWith(bin, version, options, source) };
}

/** Runs the release's `bin` and reads what it generated for `options`. */
async function renderWith(bin: string, version: string, options: Options, source: ReleaseSource): Promise<Tree> {
  const work = inTemporaryFolder(() => fs.mkdtempSync(path.join(source.tmp, 'render-')));
  const config = path.join(work, CONFIG_FILE);
  inTemporaryFolder(() => fs.writeFileSync(config, serializeConfig(options, version)));
  const out = path.join(work, 'workspace');
  // Run as a plain program, not under npm: none of npm's variables (they describe our own run).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const rendered = await run(
    process.execPath,
    [bin, out, '--config', config, '--name', options.name, '--yes', '--no-git', '--no-verify'],
    {
      cwd: work,
      signal: source.signal,
      env: { ...env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
      replaceEnv: true,
    },
  );
  if (source.signal.aborted) throw cancelled('Cancelled; nothing was changed.');
  if (rendered.code !== 0)
    throw failure(
      version,
      `it ${rendered.signal ? `was ended by ${rendered.signal}` : `exited ${rendered.code ?? '?'}`}: ${firstErrorLine(rendered.stderr || rendered.stdout)}`,
    );
  // It must have recorded what we asked for: a package that renders another version's files is not the base.
  let recorded: string | undefined;
  try {
    recorded = parseConfig(readRegularText(path.join(out, CONFIG_FILE)), CONFIG_FILE, source.thisVersion).version;
  } catch (e) {
    throw failure(
      version,
      `what it rendered has no readable ${CONFIG_FILE} (${printable((e as Error).message.split('\n')[0])})`,
    );
  }
  if (recorded !== version)
    throw failure(
      version,
      `what it rendered records ${recorded === undefined ? 'no version' : `version ${printable(recorded)}`}, not ${version}`,
    );
  return readTree(out);
}
