// The pure core: options in, the list of files to write out. No file system, terminal or processes here;
// templates are passed in (see templates.ts for reading them from disk).
import { serializeConfig, CONFIG_FILE } from './config-file.js';
import manifest from '../templates/partials/manifest.json' with { type: 'json' };
import { counterOutcome, mapFacts, orderingFacts, programFacts } from './facts.js';
import type { Options } from './options.js';
import type { TemplateSelection } from './templates.js';
import { generatedReadme } from './readme.js';

export interface TemplateFile {
  /** Path relative to the templates directory, with forward slashes. */
  path: string;
  contents: string;
}

export interface PlannedFile {
  /** Path relative to the target directory, with forward slashes. */
  path: string;
  contents: string;
}

/** The template files a workspace with these options is made of (the other partials need not be read). */
export function templatesNeeded(options: Options): TemplateSelection {
  return { trees: ['workspace'], files: partialsFor(options).map((p) => p.from) };
}

/** Each axis of variation and the file its partial becomes (templates/partials/manifest.json). */
export const PARTIAL_AXES = manifest as Readonly<Record<string, string>>;

/**
 * Which template partial becomes which file, for the chosen options: per axis of the manifest, the choice
 * the map's or the program's facts name (src/facts.ts).
 */
export function partialsFor(options: Options): { from: string; to: string }[] {
  const chosen: Record<string, string> = {
    ...mapFacts[options.map].partials,
    ...programFacts[options.program].partials,
  };
  return Object.entries(PARTIAL_AXES).map(([axis, to]) => {
    const choice = chosen[axis];
    if (choice === undefined) throw new Error(`no fact chooses the partial of axis ${axis}`);
    return { from: `partials/${axis}/${choice}.rs`, to };
  });
}

/** The manifest as a markdown table: each axis, its choices with the maps or programs that choose them, its file. */
export function partialsMarkdown(): string {
  const rows = ['| axis | choices (chosen by) | destination |', '|---|---|---|'];
  for (const [axis, to] of Object.entries(PARTIAL_AXES)) {
    const by = new Map<string, string[]>();
    const facts: [string, Readonly<Record<string, string>>][] = [
      ...Object.entries(mapFacts).map(([kind, fact]): [string, Record<string, string>] => [kind, { ...fact.partials }]),
      ...Object.entries(programFacts).map(([kind, fact]): [string, Record<string, string>] => [
        kind,
        { ...fact.partials },
      ]),
    ];
    for (const [kind, partials] of facts) {
      const choice = partials[axis];
      if (choice !== undefined) by.set(choice, [...(by.get(choice) ?? []), kind]);
    }
    const choices = [...by].map(([choice, kinds]) =>
      kinds.length === 1 && kinds[0] === choice ? `\`${choice}\`` : `\`${choice}\` (${kinds.join(', ')})`,
    );
    rows.push(`| \`${axis}\` | ${choices.join(', ')} | \`${to}\` |`);
  }
  return rows.join('\n');
}

/** The values substituted for `@var@` in templates. Every value is validated or from a fixed table. */
export function templateVariables(options: Options, version: string): Record<string, string> {
  const map = mapFacts[options.map];
  const outcome = counterOutcome(options.map, options.ordering);
  return {
    crate: options.name,
    ordering: orderingFacts[options.ordering].rust,
    ebpf_map_type: map.ebpfType,
    cpu: outcome.cpu,
    toolchain: options.toolchain,
    attach: options.attach,
    generator_version: version,
  };
}

/**
 * A variable in a template: `@name@`, lower-case letters and `_` between two `@`, as CMake's
 * `configure_file(@ONLY)` writes them. Neither Rust nor TOML ever puts that outside a string or comment
 * (Rust's only `@` is the pattern binding `x @ pattern`, which rustfmt spaces), so a template is the Rust
 * or TOML it produces, braces and all; an unknown name is a render error, never left in the output.
 */
export const PLACEHOLDER = /@([a-z_]+)@/g;

export function substitute(text: string, vars: Record<string, string>, where: string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`template ${where} uses unknown variable @${name}@`);
    return value;
  });
}

/** rustfmt's line width (max_width), which the generated Rust keeps. */
const RUST_WIDTH = 100;

/**
 * Rust lines that a long value made wider than rustfmt allows, laid out as rustfmt lays them out, so that
 * `cargo fmt --check` passes for every value. The one such line in the templates is
 * `pub const DEFAULT_ATTACH: &str = "@attach@";` (a kernel symbol may have 128 characters, a tracepoint
 * 256): rustfmt breaks it after the `=` when the string then fits, and leaves it whole when it does not.
 */
export function layoutLongRust(text: string): string {
  // Line by line, and the pattern only on the few lines over the width: a multi-line pattern over every file
  // took a noticeable share of a generation's time.
  return text
    .split('\n')
    .map((line) => {
      if (line.length <= RUST_WIDTH) return line;
      const m = /^( *)([^"]* =) ("[^"]*";)$/.exec(line);
      return m && m[1].length + 4 + m[3].length <= RUST_WIDTH ? `${m[1]}${m[2]}\n${m[1]}    ${m[3]}` : line;
    })
    .join('\n');
}

/**
 * The template stores `.gitignore` as `_gitignore`: a real one there would apply to this repository
 * (and npm drops files of that name from packages).
 */
const STORED_NAMES = new Map([['_gitignore', '.gitignore']]);

function outputPath(templatePath: string, vars: Record<string, string>): string {
  return substitute(templatePath, vars, templatePath)
    .split('/')
    .map((seg) => STORED_NAMES.get(seg) ?? seg)
    .join('/');
}

/** Orders by `key`, code point by code point (cargo compares names as bytes; crate names are ASCII). */
const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T) => {
    const [x, y] = [key(a), key(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  };

/**
 * templates/workspace/Cargo.lock (written by scripts/update-lockfile.mjs) with the crate name substituted:
 * cargo writes its `[[package]]` entries, and each package's `dependencies`, sorted by name, and
 * `--locked` refuses a lock whose text it would write differently. So entries are re-sorted by name. The
 * sort is stable, so entries with one name (several versions of a crate) keep cargo's own order; our
 * three crate names never equal a dependency's (the name rules forbid it).
 */
export function sortCargoLock(lock: string): string {
  const SEPARATOR = '\n[[package]]\n';
  const [head, ...blocks] = lock.split(SEPARATOR);
  const dependencyName = (line: string) => line.replace(/^ "/, '').split(/[ "]/)[0];
  const entries = blocks.map((block) => ({
    // Each block starts with its `name = "…"` line, as cargo writes it.
    name: block.slice('name = "'.length, block.indexOf('"', 'name = "'.length)),
    block: block.replace(/^dependencies = \[\n((?: "[^"\n]*",\n)*)\]$/m, (_, items: string) => {
      const lines = items.split('\n').filter(Boolean).sort(byKey(dependencyName));
      return `dependencies = [\n${lines.map((line) => `${line}\n`).join('')}]`;
    }),
  }));
  return [head, ...entries.sort(byKey((e) => e.name)).map((e) => e.block)].join(SEPARATOR);
}

export function planWorkspace(options: Options, version: string, templates: readonly TemplateFile[]): PlannedFile[] {
  const vars = templateVariables(options, version);
  const byPath = new Map(templates.map((t) => [t.path, t]));
  const files: PlannedFile[] = [];
  for (const t of templates) {
    if (!t.path.startsWith('workspace/')) continue;
    const path = outputPath(t.path.slice('workspace/'.length), vars);
    const rendered = substitute(t.contents, vars, t.path);
    const contents = path.endsWith('.rs') ? layoutLongRust(rendered) : rendered;
    files.push({ path, contents: path === 'Cargo.lock' ? sortCargoLock(contents) : contents });
  }
  for (const { from, to } of partialsFor(options)) {
    const t = byPath.get(from);
    if (!t) throw new Error(`template partial ${from} is missing`);
    files.push({ path: outputPath(to, vars), contents: layoutLongRust(substitute(t.contents, vars, from)) });
  }
  files.push({ path: 'README.md', contents: generatedReadme(options, version) });
  files.push({ path: CONFIG_FILE, contents: serializeConfig(options, version) });
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two templates write ${f.path}`);
    // Never outside the target (docs/safety.md): relative, no `..`, no empty or `.` segment.
    if (!f.path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && !seg.includes('\\'))) {
      throw new Error(`template path ${JSON.stringify(f.path)} would leave the target directory`);
    }
    seen.add(f.path);
  }
  // Code-point order: deterministic everywhere, and no locale tables to load at start-up.
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
