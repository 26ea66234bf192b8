// The template tree shipped in the package. The published package holds it as one file,
// dist/templates.json (scripts/templates-json.mjs): one read at start-up instead of a walk over some
// thirty files. From the source (tests, development), templates/ itself is read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateFile } from './plan.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** templates/ at the package root, above this module (src/ or dist/). */
export const TEMPLATES_DIR = path.join(
  existsSync(path.join(HERE, 'templates')) ? HERE : path.dirname(HERE),
  'templates',
);

let tree: Map<string, string> | undefined;

/** Every template file, path (relative to templates/) → contents; read once. */
export function templateTree(root = TEMPLATES_DIR): Map<string, string> {
  if (root !== TEMPLATES_DIR) return walkTree(root);
  if (!tree) {
    const bundled = path.join(HERE, 'templates.json');
    tree = existsSync(bundled)
      ? new Map(Object.entries(JSON.parse(readFileSync(bundled, 'utf8')) as Record<string, string>))
      : walkTree(root);
  }
  return tree;
}

function walkTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.set(child, readFileSync(path.join(root, child), 'utf8'));
    }
  };
  for (const tree of ['workspace', 'partials']) if (existsSync(path.join(root, tree))) walk(tree);
  return out;
}

/** Which template files to use: every file below `trees`, and `files` (paths relative to templates/). */
export interface TemplateSelection {
  trees: readonly string[];
  files: readonly string[];
}

/** The selected template files (by default all of them). */
export function loadTemplates(
  selection: TemplateSelection = { trees: ['workspace', 'partials'], files: [] },
  root = TEMPLATES_DIR,
): TemplateFile[] {
  const all = templateTree(root);
  const out: TemplateFile[] = [];
  for (const [p, contents] of all)
    if (selection.trees.some((t) => p.startsWith(`${t}/`))) out.push({ path: p, contents });
  for (const p of selection.files) {
    const contents = all.get(p);
    if (contents === undefined) throw new Error(`template ${p} is missing`);
    out.push({ path: p, contents });
  }
  return out;
}
