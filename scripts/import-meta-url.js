// Injected into the CommonJS bundle (scripts/build.mjs): the source's import.meta.url, from __filename.
export const import_meta_url = require('node:url').pathToFileURL(__filename).href;
