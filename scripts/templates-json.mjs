#!/usr/bin/env node
// The template tree (templates/workspace and templates/partials) as one JSON object, path → contents,
// which the published package reads instead of some thirty files: one read at start-up, not a walk.
// scripts/build.mjs writes it to dist/templates.json; `node scripts/templates-json.mjs <package dir>`
// rewrites <package dir>/dist/templates.json from <package dir>/templates (the update tests' "next version").
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function templatesJson(templatesDir) {
  const out = {};
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(templatesDir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out[child] = readFileSync(path.join(templatesDir, child), 'utf8');
    }
  };
  walk('workspace');
  walk('partials');
  return out;
}

export function writeTemplatesJson(packageDir) {
  writeFileSync(
    path.join(packageDir, 'dist', 'templates.json'),
    JSON.stringify(templatesJson(path.join(packageDir, 'templates'))),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  writeTemplatesJson(path.resolve(process.argv[2] ?? '.'));
