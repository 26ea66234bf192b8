// The one-line summary CI logs end with: a broken set-up must read as a failure, never as skipped tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('./fixtures/reporter', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

it('counts tests that never ran because a hook failed as failed, and names the hook and collection errors', () => {
  const r = spawnSync(process.execPath, [VITEST, 'run', '--config', 'vitest.config.ts'], {
    cwd: FIXTURES,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
  });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  // hook.fixture: 1 passed, 2 failed (never ran), 1 skipped, 1 error (beforeAll); collect.fixture: 1 error;
  // ok.fixture: 1 passed, 1 failed.
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('tests: '));
  expect(lines).toEqual(['tests: 2 passed, 3 failed, 1 skipped, 2 errors']);
});
