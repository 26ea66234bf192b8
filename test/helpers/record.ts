// records/service.json, which several test files fill in part by part (see records/README.md): each writes its own
// keys, formatted as the repository's Prettier check wants it.
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'prettier';
import { ROOT } from './cli.js';

const SERVICE = path.join(ROOT, 'records', 'service.json');

/** Whether this run records (`npm run record:service` sets AYA_ATOMIC_RECORD_SERVICE=1). */
export const recordingService = () => process.env.AYA_ATOMIC_RECORD_SERVICE === '1';

/** Merges `part` into records/service.json. */
export async function recordService(part: Record<string, unknown>): Promise<void> {
  const record = { ...JSON.parse(fs.readFileSync(SERVICE, 'utf8')), ...part };
  fs.writeFileSync(SERVICE, await format(JSON.stringify(record), { filepath: SERVICE }));
}
