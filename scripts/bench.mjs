// Side-by-side benchmark with create-vite (SPEC, Performance): startup (`--help`), a full non-interactive
// generation into a fresh directory, published tarball size and runtime dependency count.
// The two CLIs alternate within one run (which goes first alternates too); medians and the median of the
// pairwise ratios (ours / create-vite) are reported. `npm run bench` builds first.
//
//   node scripts/bench.mjs [--runs N]      (or BENCH_RUNS=N; default 21, at least 3)
//
// Prints a markdown table and a one-line JSON summary; the table also goes to .bench/latest.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argRuns = process.argv.indexOf('--runs');
const runs = Math.max(3, Number(argRuns > 0 ? process.argv[argRuns + 1] : (process.env.BENCH_RUNS ?? 21)) || 21);
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

const results = {};
for (const [name, c] of Object.entries(cases)) {
  for (let i = 0; i < WARMUP; i++) {
    c.ours(-1);
    c.vite(-1);
  }
  const ours = [];
  const vite = [];
  for (let i = 0; i < runs; i++) {
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
const cpus = os.availableParallelism?.() ?? os.cpus().length;
const kB = (b) => `${(b / 1000).toFixed(1)} kB`;
const ms = (t) => `${t.toFixed(1)} ms`;
const table = [
  `Benchmark ${date}: ${runs} alternating runs each, ${cpus} CPU(s), Node ${process.version}, ${os.platform()} ${os.release()}`,
  '',
  `| measure | create-aya-atomic ${ourPkg.version} | create-vite ${vitePkg.version} | ours / vite |`,
  '|---|---:|---:|---:|',
  `| \`--help\`, median (min) | ${ms(results.help.ours)} (${ms(results.help.oursMin)}) | ${ms(results.help.vite)} (${ms(results.help.viteMin)}) | ${results.help.ratio.toFixed(3)} |`,
  `| generation, median (min) | ${ms(results.generate.ours)} (${ms(results.generate.oursMin)}) | ${ms(results.generate.vite)} (${ms(results.generate.viteMin)}) | ${results.generate.ratio.toFixed(3)} |`,
  `| tarball, packed | ${kB(ourTar.size)} | ${kB(viteTar.size)} | ${(ourTar.size / viteTar.size).toFixed(3)} |`,
  `| tarball, unpacked | ${kB(ourTar.unpackedSize)} | ${kB(viteTar.unpackedSize)} | ${(ourTar.unpackedSize / viteTar.unpackedSize).toFixed(3)} |`,
  `| files in tarball | ${ourTar.entryCount} | ${viteTar.entryCount} | |`,
  `| runtime dependencies | ${ourDeps} | ${viteDeps} | |`,
  '',
  'generation: ours `<dir> --yes --no-verify --no-git`; create-vite `<dir> --template vanilla-ts --no-interactive`;',
  'each into a fresh directory, removed after timing. ratio = median of the pairwise ratios.',
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
  tarball: {
    ours: { packed: ourTar.size, unpacked: ourTar.unpackedSize, files: ourTar.entryCount },
    vite: { packed: viteTar.size, unpacked: viteTar.unpackedSize, files: viteTar.entryCount, source: viteTar.source },
  },
  runtimeDependencies: { ours: ourDeps, vite: viteDeps },
};

process.stdout.write(`${table}\n${JSON.stringify(summary)}\n`);
mkdirSync(path.join(root, '.bench'), { recursive: true });
writeFileSync(path.join(root, '.bench/latest.md'), table);

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
