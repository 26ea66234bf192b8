// Bundles src/ and its runtime libraries into dist/, so the published package has no dependencies.
// CommonJS, though the source is ES modules: Node starts a CommonJS program several milliseconds
// sooner (its ES module loader resolves and links asynchronously), and this command's start-up is
// most of its run. Our own code is one file, dist/index.cjs: every module Node loads costs a start-up.
// The libraries only some runs need are files of their own in dist/vendor/, loaded on demand: prompts
// (a question on a terminal), fs-extra (a move across devices) and execa (a child process: git, cargo,
// npm). Minified, but functions keep their names, so a stack trace a user sends names them.
// Also writes THIRD-PARTY-LICENSES.md from the licence files of exactly the packages esbuild bundled
// (read from its metafile). `BUILD_ANALYZE=1 node scripts/build.mjs` prints what takes room in each output.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTemplatesJson } from './templates-json.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

rmSync('dist', { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none', // the licences are in THIRD-PARTY-LICENSES.md
  metafile: true,
  outExtension: { '.js': '.cjs' },
  // prompts and fs-extra do not export the files we bundle (only the text and select elements; move).
  // (`lib/` is prompts' code for Node >= 8.6; its `dist/` is a Babel build for older ones.)
  alias: {
    'prompts/lib/elements/text.js': './node_modules/prompts/lib/elements/text.js',
    'prompts/lib/elements/select.js': './node_modules/prompts/lib/elements/select.js',
    'fs-extra/lib/move/index.js': './node_modules/fs-extra/lib/move/index.js',
  },
  // The source's import.meta.url (it finds package.json and templates/ next to itself) in CommonJS.
  define: { 'import.meta.url': 'import_meta_url' },
  inject: ['scripts/import-meta-url.js'],
  logLevel: 'warning',
};
const vendor = await build({
  ...common,
  entryPoints: {
    prompts: 'src/vendor/prompts.ts',
    'fs-extra': 'src/vendor/fs-extra.ts',
    execa: 'src/vendor/execa.ts',
  },
  outdir: 'dist/vendor',
});
// `import('./vendor/x.js')` in the source loads dist/vendor/x.cjs.
const vendorExternal = {
  name: 'vendor-external',
  setup: (b) =>
    b.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path.replace(/\.js$/, '.cjs'), external: true })),
};
const main = await build({ ...common, entryPoints: ['src/index.ts'], outdir: 'dist', plugins: [vendorExternal] });
const result = {
  metafile: {
    inputs: { ...vendor.metafile.inputs, ...main.metafile.inputs },
    outputs: { ...vendor.metafile.outputs, ...main.metafile.outputs },
  },
};

writeTemplatesJson(root);

const packages = bundledPackages(result.metafile);
writeFileSync('THIRD-PARTY-LICENSES.md', thirdPartyLicenses(packages));

if (process.env.BUILD_ANALYZE) analyze(result.metafile);

/** The packages (name, version, directory) whose files esbuild put into the bundle. */
function bundledPackages(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  const byKey = new Map();
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    byKey.set(`${pkg.name}@${pkg.version}`, {
      name: pkg.name,
      version: pkg.version,
      license: licenseField(pkg),
      dir,
      pkg,
    });
  }
  return [...byKey.values()].sort((a, b) => (a.name === b.name ? cmp(a.version, b.version) : cmp(a.name, b.name)));
}

function licenseField(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license?.type) return pkg.license.type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l) => l.type ?? l).join(' OR ');
  return 'UNKNOWN';
}

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function repositoryUrl(pkg) {
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (!repo) return pkg.homepage;
  if (/^[\w.-]+\/[\w.-]+$/.test(repo)) return `https://github.com/${repo}`;
  return repo
    .replace(/^git\+/, '')
    .replace(/^git:\/\//, 'https://')
    .replace(/\.git$/, '');
}

function licenseText({ name, dir }) {
  const files = readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying)([.-].*)?$/i.test(f))
    .sort();
  if (!files.length) throw new Error(`${name} (${dir}) ships no licence file: cannot write THIRD-PARTY-LICENSES.md`);
  return files.map((f) => readFileSync(path.join(dir, f), 'utf8').replace(/\r\n/g, '\n').trim()).join('\n\n');
}

function thirdPartyLicenses(pkgs) {
  const lines = [
    '# Third-party licences',
    '',
    'create-aya-atomic is published as a bundle: the code of the packages below is included in `dist/`.',
    'Their licence texts follow, as each package ships them. This file is generated by `npm run build`',
    '(scripts/build.mjs) from the packages esbuild actually bundled; do not edit it by hand.',
    '',
    '| package | version | licence |',
    '|---|---|---|',
    ...pkgs.map((p) => `| ${p.name} | ${p.version} | ${p.license} |`),
    '',
  ];
  for (const p of pkgs) {
    const url = repositoryUrl(p.pkg);
    lines.push(`## ${p.name}@${p.version} (${p.license})`, '');
    if (url) lines.push(url, '');
    lines.push('```', licenseText(p).replace(/```/g, "'''"), '```', '');
  }
  return lines.join('\n');
}

function analyze(metafile) {
  for (const [out, o] of Object.entries(metafile.outputs)) {
    const eager = o.imports.filter((i) => !i.external && i.kind !== 'dynamic-import').map((i) => path.basename(i.path));
    const lazy = o.imports.filter((i) => !i.external && i.kind === 'dynamic-import').map((i) => path.basename(i.path));
    console.log(
      `${out}  ${o.bytes} B  imports [${eager.join(', ')}]${lazy.length ? `  lazy [${[...new Set(lazy)].join(', ')}]` : ''}`,
    );
    const byPkg = {};
    for (const [input, v] of Object.entries(o.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(input);
      const key = m ? m[1] : input;
      byPkg[key] = (byPkg[key] ?? 0) + v.bytesInOutput;
    }
    for (const [k, v] of Object.entries(byPkg).sort((a, b) => b[1] - a[1]))
      console.log(`  ${String(v).padStart(7)}  ${k}`);
  }
}
