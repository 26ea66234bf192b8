// Side-by-side benchmark with create-vite (README.md, Performance): startup (`--help`), a full non-interactive
// generation into a fresh directory, `npm create …@latest` end to end through a local registry (cold and warm
// npm cache: what a user waits for), published tarball size and runtime dependency count.
// The two CLIs alternate within one run (which goes first alternates too); medians and the median of the
// pairwise ratios (ours / create-vite) are reported. `npm run bench` builds first.
//
//   node scripts/bench.mjs [--runs N] [--e2e-runs M]   (or BENCH_RUNS / BENCH_E2E_RUNS; default 21 and 7, at least 3)
//
// End to end: this build and create-vite's published tarball (the pinned devDependency's version, from npm's
// cache) are published to a local registry (scripts/local-registry.mjs: verdaccio on 127.0.0.1, no uplink);
// `npm create aya-atomic@latest <dir> -- --yes --no-verify --no-git` and `npm create vite@latest <dir> --
// --template vanilla-ts --no-interactive` run against it with a user config of their own, each cold run with
// an empty npm cache, the warm ones with a cache that already holds the package (npm still asks the registry
// what `latest` is, as it does for a user).
//
// Prints a markdown table and a one-line JSON summary; the table also goes to .bench/latest.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, startRegistry } from './local-registry.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const argRuns = process.argv.indexOf('--runs');
const runs = Math.max(3, Number(argRuns > 0 ? process.argv[argRuns + 1] : (process.env.BENCH_RUNS ?? 21)) || 21);
const argE2e = process.argv.indexOf('--e2e-runs');
const e2eRuns = Math.max(3, Number(argE2e > 0 ? process.argv[argE2e + 1] : (process.env.BENCH_E2E_RUNS ?? 7)) || 7);
const WARMUP = 2;

const ourBin = path.join(root, 'bin/create-aya-atomic.cjs');
const vitePkgDir = path.join(root, 'node_modules/create-vite');
if (!existsSync(path.join(root, 'dist/index.cjs'))) fail('dist/ is missing: run `npm run build` (npm run bench does)');
if (!existsSync(vitePkgDir)) fail('node_modules/create-vite is missing: run `npm ci` (it is a pinned devDependency)');
const ourPkg = readJson(path.join(root, 'package.json'));
const vitePkg = readJson(path.join(vitePkgDir, 'package.json'));
const viteBin = path.join(vitePkgDir, typeof vitePkg.bin === 'string' ? vitePkg.bin : vitePkg.bin['create-vite']);

// Same environment for both; no colour, no CI switches that one of them might read differently.
const env = { ...process.env, NO_COLOR: '1' };
delete env.FORCE_COLOR;
delete env.CI;

const work = mkdtempSync(path.join(os.tmpdir(), 'aya-atomic-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Runs a command once and returns its wall time in ms; exits the benchmark if it fails. */
function timed(label, file, args, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error || r.status !== 0)
    fail(`${label}: ${file} ${args.join(' ')} exited ${r.status ?? r.error}\n${r.stdout}\n${r.stderr}`);
  return ms;
}

const cases = {
  help: {
    ours: () => timed('ours --help', process.execPath, [ourBin, '--help'], work),
    vite: () => timed('create-vite --help', process.execPath, [viteBin, '--help'], work),
  },
  generate: {
    ours: (i) => generation('ours', i, (dir) => [ourBin, dir, '--yes', '--no-verify', '--no-git']),
    vite: (i) => generation('vite', i, (dir) => [viteBin, dir, '--template', 'vanilla-ts', '--no-interactive']),
  },
};

let dirCounter = 0;
function generation(who, i, args) {
  const dir = `${who}-${i}-${dirCounter++}`;
  const ms = timed(`${who} generation`, process.execPath, args(dir), work);
  const target = path.join(work, dir);
  if (!existsSync(path.join(target, who === 'ours' ? 'Cargo.toml' : 'package.json')))
    fail(`${who} generation wrote no project in ${target}`);
  rmSync(target, { recursive: true, force: true }); // clean-up, outside the timed part
  return ms;
}

// ---------------------------------------------------------------------------------------------
// End to end through a local registry.

const registry = await startRegistry(path.join(work, 'registry'));
process.on('exit', () => registry.close());
const packed = path.join(work, 'packed');
mkdirSync(packed);
registry.publish(packTo(root, [], packed));
registry.publish(
  packTo(work, [`create-vite@${vitePkg.version}`, '--prefer-offline'], packed) ??
    fail(`cannot get create-vite ${vitePkg.version}'s published tarball (npm pack create-vite@${vitePkg.version})`),
);
// A user of that registry: nothing from the developer's own npm configuration (a `yes=false` there would
// cancel npm create off a terminal).
const userconfig = path.join(work, 'user.npmrc');
writeFileSync(userconfig, `registry=${registry.url}\nupdate-notifier=false\nfund=false\naudit=false\n`);
const warmCache = { ours: path.join(work, 'cache-warm-ours'), vite: path.join(work, 'cache-warm-vite') };
let coldCounter = 0;

function npmCreate(who, i, cache) {
  const dir = `${who}-e2e-${i}-${dirCounter++}`;
  const args =
    who === 'ours'
      ? ['create', 'aya-atomic@latest', dir, '--', '--yes', '--no-verify', '--no-git']
      : ['create', 'vite@latest', dir, '--', '--template', 'vanilla-ts', '--no-interactive'];
  const cacheDir = cache ?? path.join(work, `cache-cold-${coldCounter++}`);
  const start = process.hrtime.bigint();
  const r = spawnSync('npm', args, {
    cwd: work,
    env: cleanEnv({ ...env, NPM_CONFIG_USERCONFIG: userconfig, npm_config_cache: cacheDir }),
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error || r.status !== 0) fail(`npm ${args.join(' ')} exited ${r.status ?? r.error}\n${r.stdout}\n${r.stderr}`);
  const target = path.join(work, dir);
  if (!existsSync(path.join(target, who === 'ours' ? 'Cargo.toml' : 'package.json')))
    fail(`npm create (${who}) wrote no project in ${target}`);
  rmSync(target, { recursive: true, force: true });
  if (!cache) rmSync(cacheDir, { recursive: true, force: true });
  return ms;
}

cases.e2eCold = {
  count: e2eRuns,
  warmup: 1,
  ours: (i) => npmCreate('ours', i),
  vite: (i) => npmCreate('vite', i),
};
cases.e2eWarm = {
  count: e2eRuns,
  warmup: 1, // fills the warm caches
  ours: (i) => npmCreate('ours', i, warmCache.ours),
  vite: (i) => npmCreate('vite', i, warmCache.vite),
};

const results = {};
for (const [name, c] of Object.entries(cases)) {
  for (let i = 0; i < (c.warmup ?? WARMUP); i++) {
    c.ours(-1);
    c.vite(-1);
  }
  const ours = [];
  const vite = [];
  for (let i = 0; i < (c.count ?? runs); i++) {
    // Alternate which goes first, so neither always runs on a warmer machine.
    if (i % 2 === 0) {
      ours.push(c.ours(i));
      vite.push(c.vite(i));
    } else {
      vite.push(c.vite(i));
      ours.push(c.ours(i));
    }
  }
  results[name] = {
    ours: median(ours),
    vite: median(vite),
    ratio: median(ours.map((t, i) => t / vite[i])),
    oursMin: Math.min(...ours),
    viteMin: Math.min(...vite),
  };
}

const ourTar = packSize(root, []);
// create-vite's published tarball (from the npm cache, else the registry): packing its installed copy with
// npm 11 would leave out its `template-*` folders (it is published with another client's glob rules).
let viteTar = tryPackSize(work, [`create-vite@${vitePkg.version}`, '--prefer-offline']);
if (viteTar) viteTar.source = 'published tarball';
else
  viteTar = {
    ...packSize(vitePkgDir, []),
    source: 'installed copy, npm 11 drops its template-* folders: an underestimate',
  };
const ourDeps = runtimeDeps(ourPkg);
const viteDeps = runtimeDeps(vitePkg);

const date = new Date().toISOString();
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8', env: cleanEnv() }).stdout.trim();
const cpus = os.availableParallelism?.() ?? os.cpus().length;
const kB = (b) => `${(b / 1000).toFixed(1)} kB`;
const ms = (t) => `${t.toFixed(1)} ms`;
const table = [
  `Benchmark ${date}: ${runs} alternating runs each (end to end: ${e2eRuns}), ${cpus} CPU(s), Node ${process.version}, npm ${npmVersion}, ${os.platform()} ${os.release()}`,
  '',
  `| measure | create-aya-atomic ${ourPkg.version} | create-vite ${vitePkg.version} | ours / vite |`,
  '|---|---:|---:|---:|',
  `| \`--help\`, median (min) | ${ms(results.help.ours)} (${ms(results.help.oursMin)}) | ${ms(results.help.vite)} (${ms(results.help.viteMin)}) | ${results.help.ratio.toFixed(3)} |`,
  `| generation, median (min) | ${ms(results.generate.ours)} (${ms(results.generate.oursMin)}) | ${ms(results.generate.vite)} (${ms(results.generate.viteMin)}) | ${results.generate.ratio.toFixed(3)} |`,
  `| \`npm create …@latest\`, cold npm cache, median (min) | ${ms(results.e2eCold.ours)} (${ms(results.e2eCold.oursMin)}) | ${ms(results.e2eCold.vite)} (${ms(results.e2eCold.viteMin)}) | ${results.e2eCold.ratio.toFixed(3)} |`,
  `| \`npm create …@latest\`, warm npm cache, median (min) | ${ms(results.e2eWarm.ours)} (${ms(results.e2eWarm.oursMin)}) | ${ms(results.e2eWarm.vite)} (${ms(results.e2eWarm.viteMin)}) | ${results.e2eWarm.ratio.toFixed(3)} |`,
  `| tarball, packed | ${kB(ourTar.size)} | ${kB(viteTar.size)} | ${(ourTar.size / viteTar.size).toFixed(3)} |`,
  `| tarball, unpacked | ${kB(ourTar.unpackedSize)} | ${kB(viteTar.unpackedSize)} | ${(ourTar.unpackedSize / viteTar.unpackedSize).toFixed(3)} |`,
  `| files in tarball | ${ourTar.entryCount} | ${viteTar.entryCount} | |`,
  `| runtime dependencies | ${ourDeps} | ${viteDeps} | |`,
  '',
  'generation: ours `<dir> --yes --no-verify --no-git`; create-vite `<dir> --template vanilla-ts --no-interactive`;',
  'each into a fresh directory, removed after timing. ratio = median of the pairwise ratios.',
  '`npm create …@latest`: the same options after `--`, through npm from a local registry (verdaccio on 127.0.0.1)',
  'holding both packages; cold: an empty npm cache each run; warm: a cache that holds the package already.',
  `tarball: \`npm pack --dry-run --json\`; ours from this checkout, create-vite: ${viteTar.source}.`,
  '',
].join('\n');

const summary = {
  date,
  runs,
  cpus,
  node: process.version,
  createVite: vitePkg.version,
  helpMs: { ours: round(results.help.ours), vite: round(results.help.vite), ratio: round(results.help.ratio, 3) },
  generateMs: {
    ours: round(results.generate.ours),
    vite: round(results.generate.vite),
    ratio: round(results.generate.ratio, 3),
  },
  npmCreateColdMs: {
    ours: round(results.e2eCold.ours),
    vite: round(results.e2eCold.vite),
    ratio: round(results.e2eCold.ratio, 3),
  },
  npmCreateWarmMs: {
    ours: round(results.e2eWarm.ours),
    vite: round(results.e2eWarm.vite),
    ratio: round(results.e2eWarm.ratio, 3),
  },
  npm: npmVersion,
  tarball: {
    ours: { packed: ourTar.size, unpacked: ourTar.unpackedSize, files: ourTar.entryCount },
    vite: { packed: viteTar.size, unpacked: viteTar.unpackedSize, files: viteTar.entryCount, source: viteTar.source },
  },
  runtimeDependencies: { ours: ourDeps, vite: viteDeps },
};

process.stdout.write(`${table}\n${JSON.stringify(summary)}\n`);
mkdirSync(path.join(root, '.bench'), { recursive: true });
writeFileSync(path.join(root, '.bench/latest.md'), table);
await registry.close();

/** `npm pack` in dir into `dest`; the tarball's path, or undefined if it fails. */
function packTo(dir, args, dest) {
  const r = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest, ...args], {
    cwd: dir,
    env: cleanEnv(),
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) return undefined;
  return path.join(dest, JSON.parse(r.stdout)[0].filename);
}

function packSize(dir, args) {
  return tryPackSize(dir, args) ?? fail(`npm pack --dry-run ${args.join(' ')} in ${dir} failed`);
}

/** `npm pack --dry-run --json` (--ignore-scripts: ours is built already) in dir; undefined if it fails. */
function tryPackSize(dir, args) {
  const envNoNpm = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...args], {
    cwd: dir,
    env: envNoNpm,
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) return undefined;
  try {
    const [p] = JSON.parse(r.stdout);
    return { size: p.size, unpackedSize: p.unpackedSize, entryCount: p.entryCount };
  } catch {
    return undefined;
  }
}

function runtimeDeps(pkg) {
  const names = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);
  return names.size;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x, digits = 1) {
  return Number(x.toFixed(digits));
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}
