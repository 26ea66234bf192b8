// Imports a module of src/ (TypeScript) into a script, so that scripts read the project's facts and models
// instead of restating them: esbuild (a dev dependency) bundles it in memory, and Node imports the result.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The exports of `src/<file>` (e.g. 'facts.ts'). */
export async function importSource(file) {
  const out = await build({
    entryPoints: [`${root}src/${file}`],
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'error',
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}
