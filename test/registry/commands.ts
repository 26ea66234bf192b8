// The commands the README gives for running create-aya-atomic through a package manager, as the registry tests
// run them, word for word. test/registry/readme.test.ts checks that the README gives no other.

/** Generation through each package manager (README: Quick start, Package managers). */
export const GENERATE = [
  'npm create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
  'npm init aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
  'npx create-aya-atomic@latest my-probe --map hash --ordering seqcst --yes',
  'pnpm create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
  'yarn create aya-atomic my-probe --map hash --ordering seqcst --yes',
  'bun create aya-atomic@latest my-probe -- --map hash --ordering seqcst --yes',
];

/** The quick start's first command (asks on a terminal; takes the defaults off one). */
export const QUICK_START = 'npm create aya-atomic@latest my-probe';

/** In CI (README: In CI): generation without prompts, and a recorded config replayed. */
export const CI_GENERATE = 'npx create-aya-atomic@latest probe --map hash --ordering seqcst --yes --no-git --no-verify';
export const CI_REPLAY =
  'npx create-aya-atomic@latest probe --config starter/aya-atomic.toml --yes --no-git --no-verify';

/** Output for machines: stdout is the JSON only (the README redirects it to result.json). */
export const JSON_FORMS = [
  'npx create-aya-atomic@latest probe --yes --no-git --json',
  'npm create --silent aya-atomic@latest probe -- --yes --no-git --json',
];

/** Bringing a workspace up to date, through each package manager (README: Package managers). */
export const UPDATE = [
  'npm create aya-atomic@latest -- --update',
  'npx create-aya-atomic@latest --update',
  'pnpm create aya-atomic@latest -- --update',
  'yarn create aya-atomic --update',
  'bun create aya-atomic@latest -- --update',
];

/** README: Keeping a starter repository up to date. */
export const UPDATE_DRY_RUN = 'npm create aya-atomic@latest -- --update --dry-run';
export const UPDATE_CHANGING_MAP = 'npm create aya-atomic@latest -- --update --map per-cpu-hash';

export const ALL = [
  ...GENERATE,
  QUICK_START,
  CI_GENERATE,
  CI_REPLAY,
  ...JSON_FORMS,
  ...UPDATE,
  UPDATE_DRY_RUN,
  UPDATE_CHANGING_MAP,
];
