// Reads the template tree shipped in the package (templates/ next to dist/ or src/).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateFile } from './plan.js';

/** templates/ at the package root, above this module (src/, dist/ or a chunk folder of dist/). */
export const TEMPLATES_DIR = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3 && !existsSync(path.join(dir, 'templates')); i++) dir = path.dirname(dir);
  return path.join(dir, 'templates');
})();

/** Reads the template files that `wanted` selects (by path relative to the templates directory). */
export function loadTemplates(wanted: (templatePath: string) => boolean = () => true, root = TEMPLATES_DIR): TemplateFile[] {
  const out: TemplateFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const rel = path.relative(root, full).split(path.sep).join('/');
        if (rel === 'README.md' || !wanted(rel)) continue; // README.md: maintainers' notes about the templates
        out.push({ path: rel, contents: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(root);
  return out;
}
