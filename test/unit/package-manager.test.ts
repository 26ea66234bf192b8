// Package managers, in-process: who ran us, the `--` they pass on, the command forms of our advice, and
// what npm swallowed. The environments are literal copies of what npm 11.19, pnpm 10.34 and 12.26, yarn 1.22
// and bun 1.4 set for a create-* package they ran (captured with a package that prints its argv and npm_*
// variables, published to a local registry); test/registry/ runs the same command lines for real.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { adviceCommand, launch, npmChildEnv, packageManagerArgs, shellQuote } from '../../src/package-manager.js';
import { resolve, type Host, type Plan, type ResolveInput } from '../../src/resolve.js';
import type { NameRules } from '../../src/validate.js';

const NPM_AGENT = 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false';
/** npm create aya-atomic@latest / npm init aya-atomic@latest */
const NPM_CREATE = { npm_config_user_agent: NPM_AGENT, npm_command: 'init', npm_lifecycle_event: 'npx' };
/** npx create-aya-atomic@latest / npm exec create-aya-atomic@latest */
const NPX = { npm_config_user_agent: NPM_AGENT, npm_command: 'exec', npm_lifecycle_event: 'npx' };
/** An `npm run` script, or `npm test`, that runs create-aya-atomic. */
const NPM_RUN = { npm_config_user_agent: NPM_AGENT, npm_command: 'run', npm_lifecycle_event: 'gen' };
/** pnpm 10 (pnpm create and pnpm dlx alike) sets the agent and nothing else. */
const PNPM_CREATE = { npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64' };
/** A `pnpm run` script (pnpm 10). */
const PNPM_RUN = { npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64', npm_lifecycle_event: 'gen' };
const PNPM12_CREATE = { npm_config_user_agent: 'pnpm/12.26.0 npm/? node/? linux x64', npm_command: 'create' };
const PNPM12_DLX = { npm_config_user_agent: 'pnpm/12.26.0 npm/? node/? linux x64', npm_command: 'dlx' };
const YARN_CREATE = {
  npm_config_user_agent: 'yarn/1.22.22 npm/? node/v20.20.2 linux x64',
  npm_lifecycle_event: 'create',
  npm_config_argv: '{"remain":[],"cooked":[""],"original":["create","aya-atomic","--update"]}',
};
const BUN_CREATE = {
  npm_config_user_agent: 'bun/1.4.5 npm/? node/v26.3.0 linux x64',
  npm_command: 'exec',
  npm_lifecycle_event: 'bunx',
};

describe('who ran us', () => {
  it.each([
    ['npm create', NPM_CREATE, { pm: 'npm', how: 'create' }],
    ['npx', NPX, { pm: 'npm', how: 'exec' }],
    ['an npm run script', NPM_RUN, { pm: 'npm', how: undefined }],
    ['pnpm 10 create or dlx', PNPM_CREATE, { pm: 'pnpm', how: 'exec' }],
    ['a pnpm run script', PNPM_RUN, { pm: 'pnpm', how: undefined }],
    ['pnpm 12 create', PNPM12_CREATE, { pm: 'pnpm', how: 'create' }],
    ['pnpm 12 dlx', PNPM12_DLX, { pm: 'pnpm', how: 'exec' }],
    ['yarn create', YARN_CREATE, { pm: 'yarn', how: 'create' }],
    ['bun create', BUN_CREATE, { pm: 'bun', how: 'exec' }],
    ['nobody', {}, {}],
  ])('%s', (_, env, expected) => {
    expect(launch(env)).toEqual(expected);
  });
});

describe('the npm we start for an update', () => {
  it("under yarn 1 it reads the user's npmrc, not yarn's registry and settings", () => {
    const yarn = { ...YARN_CREATE, npm_config_registry: 'https://registry.yarnpkg.com', HOME: '/home/u' };
    expect(npmChildEnv(yarn)).toEqual({ HOME: '/home/u', npm_lifecycle_event: 'create' });
  });
  it("under the others the user's npm_config_* variables stay", () => {
    const npm = { ...NPX, npm_config_registry: 'http://registry.internal/', HOME: '/home/u' };
    expect(npmChildEnv(npm)).toEqual(npm);
  });
});

describe('the `--` a package manager passes on', () => {
  it.each([
    ['pnpm create aya-atomic@latest -- --update', PNPM_CREATE, ['--', '--update'], ['--update']],
    [
      'pnpm create aya-atomic@latest p -- --map hash',
      PNPM_CREATE,
      ['p', '--', '--map', 'hash'],
      ['p', '--map', 'hash'],
    ],
    ['bun create aya-atomic@latest -- --update', BUN_CREATE, ['--', '--update'], ['--update']],
    ['npx create-aya-atomic@latest -- --yes', NPX, ['--', '--yes'], ['--yes']],
    ['pnpm create aya-atomic@latest -- -- -dir', PNPM_CREATE, ['--', '--', '-dir'], ['--', '-dir']],
    ['pnpm 12 create aya-atomic@latest -- --update', PNPM12_CREATE, ['--', '--update'], ['--update']],
    ['a pnpm run script: create-aya-atomic -- --json', PNPM_RUN, ['--', '--json'], ['--', '--json']],
    ['create-aya-atomic -- --json (no package manager)', {}, ['--', '--json'], ['--', '--json']],
    ['an npm run script: create-aya-atomic -- --json', NPM_RUN, ['--', '--json'], ['--', '--json']],
  ])('%s', (_, env, argv, expected) => {
    expect(packageManagerArgs(argv, env)).toEqual(expected);
  });
});

describe('advice in the language of the package manager that ran us, always @latest', () => {
  it.each([
    [
      'npm create',
      NPM_CREATE,
      'npm create aya-atomic@latest -- --update',
      "npm create aya-atomic@latest 'my dir' -- --map hash",
    ],
    ['npx', NPX, 'npx create-aya-atomic@latest --update', "npx create-aya-atomic@latest 'my dir' --map hash"],
    [
      'npm run',
      NPM_RUN,
      'npm create aya-atomic@latest -- --update',
      "npm create aya-atomic@latest 'my dir' -- --map hash",
    ],
    [
      'pnpm',
      PNPM_CREATE,
      'pnpm create aya-atomic@latest --update',
      "pnpm create aya-atomic@latest 'my dir' --map hash",
    ],
    ['yarn 1', YARN_CREATE, 'yarn create aya-atomic --update', "yarn create aya-atomic 'my dir' --map hash"],
    [
      'bun',
      BUN_CREATE,
      'bun create aya-atomic@latest -- --update',
      "bun create aya-atomic@latest 'my dir' -- --map hash",
    ],
    ['nobody', {}, 'npx create-aya-atomic@latest --update', "npx create-aya-atomic@latest 'my dir' --map hash"],
  ])('%s', (_, env, update, generate) => {
    expect(adviceCommand(env, undefined, ['--update'])).toBe(update);
    expect(adviceCommand(env, 'my dir', ['--map', 'hash'])).toBe(generate);
  });

  it('a directory that starts with "-" is written ./-dir', () => {
    expect(adviceCommand(PNPM_CREATE, '-dir')).toBe('pnpm create aya-atomic@latest ./-dir');
  });
});

// ---------------------------------------------------------------------------------------------
// Through resolve(): the file system is a fake (a set of existing paths).

const CWD = '/home/u/work';
const RULES: NameRules = { dependencies: ['aya'], templatePaths: ['xtask'], ignoredPaths: () => undefined };

function host(files: string[] = []): Host {
  return {
    readText: (abs) => {
      if (files.includes(abs)) return 'create-aya-atomic = "0.1.0"\n';
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    inspectTarget: () => ({ kind: 'missing' }),
    directory: () => ({ exists: false, isDirectory: false, hasCargo: false, hasRustc: false }),
    nameRules: () => RULES,
    kprobes: () => true,
    entry: (abs) => (files.includes(abs) ? 'file' : 'missing'),
  };
}

const noPrompts = {
  text: async (q: { message: string }): Promise<string> => {
    throw new Error(`asked: ${q.message}`);
  },
  select: async <T>(q: { message: string }): Promise<T> => {
    throw new Error(`asked: ${q.message}`);
  },
};

function run(argv: string[], env: Record<string, string>, extra: Partial<ResolveInput> = {}, files: string[] = []) {
  const input: ResolveInput = {
    argv,
    env,
    cwd: CWD,
    stdinIsTTY: false,
    stdoutIsTTY: false,
    version: '9.9.9',
    ...extra,
  };
  return resolve(input, host(files), noPrompts);
}

async function refusal(...args: Parameters<typeof run>): Promise<CliError> {
  let plan: Plan;
  try {
    plan = await run(...args);
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error(`resolved instead of refusing: ${JSON.stringify(plan)}`);
}

const terminal = { stdinIsTTY: true, stdoutIsTTY: true };

describe('options npm kept for itself end the run with the command that was meant', () => {
  // [what the user typed, what npm 11 set, the arguments that reached us, the message]
  it.each([
    [
      'npm create aya-atomic@latest --map hash',
      { npm_config_message: '', npm_config_all: 'true', npm_config_parseable: 'true' },
      ['hash'],
      'npm kept --map for itself, so it never reached create-aya-atomic (npm passed on "hash" as plain arguments). Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest -- --map hash',
    ],
    [
      'npm create aya-atomic@latest p --map hash --ordering seqcst',
      { npm_config_message: '', npm_config_all: 'true', npm_config_parseable: 'true', npm_config_ordering: 'true' },
      ['p', 'hash', 'seqcst'],
      'npm kept --map and --ordering for itself, so they never reached create-aya-atomic (npm passed on "hash", "seqcst" as plain arguments). Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --map hash --ordering seqcst',
    ],
    [
      'npm create aya-atomic@latest --ordering SeqCst p (value first, then the directory)',
      { npm_config_ordering: 'true' },
      ['SeqCst', 'p'],
      'npm kept --ordering for itself, so it never reached create-aya-atomic (npm passed on "SeqCst" as plain arguments). Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --ordering SeqCst',
    ],
    [
      'npm create aya-atomic@latest p --toolchain /usr/bin --yes',
      { npm_config_toolchain: 'true', npm_config_yes: 'true' },
      ['p', '/usr/bin'],
      'npm kept --toolchain and --yes for itself, so they never reached create-aya-atomic (npm passed on "/usr/bin" as plain arguments). Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --toolchain /usr/bin --yes',
    ],
    [
      'npm create aya-atomic@latest --ordering=seqcst --name foo',
      { npm_config_ordering: 'seqcst', npm_config_name: 'foo' },
      [],
      'npm kept --name and --ordering for itself, so they never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest -- --name foo --ordering seqcst',
    ],
    [
      'npm create aya-atomic@latest p --attach a b (more arguments than values)',
      { npm_config_attach: 'true' },
      ['p', 'a', 'b'],
      'npm kept --attach for itself, so it never reached create-aya-atomic (npm passed on "p", "a", "b" as plain arguments). Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest -- --attach <target>',
    ],
    [
      'npm create aya-atomic@latest p --json',
      { npm_config_json: 'true' },
      ['p'],
      'npm kept --json for itself, so it never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --json',
    ],
    [
      'npm create aya-atomic@latest p --dry-run --overwrite',
      { npm_config_dry_run: 'true', npm_config_overwrite: 'true' },
      ['p'],
      'npm kept --overwrite and --dry-run for itself, so they never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --overwrite --dry-run',
    ],
    [
      'npm create aya-atomic@latest p --no-git --no-verify',
      { npm_config_git: 'false', npm_config_verify: '' },
      ['p'],
      'npm kept --no-git and --no-verify for itself, so they never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --no-git --no-verify',
    ],
    [
      'npm create aya-atomic@latest p --git --verify',
      { npm_config_git: '', npm_config_verify: 'true' },
      ['p'],
      'npm kept --git and --verify for itself, so they never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --git --verify',
    ],
    [
      'npm create aya-atomic@latest p --offline (verify would download crates)',
      { npm_config_offline: 'true' },
      ['p'],
      'npm kept --offline for itself, so it never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --offline\n' +
        "(npm's offline can also come from an npmrc file or an npm_config_ variable: then give --offline after `--` too, or remove it there.)",
    ],
    [
      'npm create aya-atomic@latest --update, with update-notifier off in the npmrc',
      { npm_config_update_notifier: 'true' },
      [],
      'npm kept --update for itself, so it never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest -- --update',
    ],
  ])('%s', async (_, vars, argv, message) => {
    const e = await refusal(argv, { ...NPM_CREATE, ...vars });
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(message);
  });

  it('-y on a terminal: refused before any question, with the npmrc caveat', async () => {
    const e = await refusal(['p'], { ...NPM_CREATE, npm_config_yes: 'true' }, terminal);
    expect(e.message).toBe(
      'npm kept --yes for itself, so it never reached create-aya-atomic. Nothing was written.\n' +
        'Put the options after `--`: npm create aya-atomic@latest p -- --yes\n' +
        "(npm's yes can also come from an npmrc file or an npm_config_ variable: then give --yes after `--` too, or remove it there.)",
    );
  });

  it("npm's yes and offline pass where they change nothing: off a terminal, with --yes or --no-verify given", async () => {
    expect((await run(['p'], { ...NPM_CREATE, npm_config_yes: 'true' })).kind).toBe('generate');
    expect((await run(['p', '--yes'], { ...NPM_CREATE, npm_config_yes: 'true' }, terminal)).kind).toBe('generate');
    expect((await run(['p', '--no-verify'], { ...NPM_CREATE, npm_config_offline: 'true' })).kind).toBe('generate');
  });

  it('npm exec (npx) gets the npx form', async () => {
    const e = await refusal(['hash'], { ...NPX, npm_config_all: 'true', npm_config_parseable: 'true' });
    expect(e.message.split('\n')[1]).toBe('Put the options after `--`: npx create-aya-atomic@latest --map hash');
  });

  it('outside npm create and npm exec, npm_config_* variables are npm settings, not lost options', async () => {
    for (const env of [NPM_RUN, PNPM_CREATE, {}])
      expect((await run(['p'], { ...env, npm_config_ordering: 'true', npm_config_json: 'true' })).kind).toBe(
        'generate',
      );
  });
});

describe('inside a generated workspace, without a directory, only --update is meant', () => {
  const WS = `${CWD}/starter`;
  const files = [`${WS}/aya-atomic.toml`];

  it('npm create aya-atomic@latest --update (npm took --update; nothing reached us): refused, with the command meant', async () => {
    const e = await refusal([], NPM_CREATE, { cwd: `${WS}/src` }, files);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      '/home/u/work/starter is a workspace made by create-aya-atomic (it has aya-atomic.toml) and no directory was given, so this run ' +
        'would write a new workspace inside it. Nothing was written.\n' +
        '(npm keeps an --update given before `--` for itself, as its --update-notifier: it never reached create-aya-atomic.)\n' +
        'To bring it up to date: npm create aya-atomic@latest -- --update\n' +
        'To create a new workspace, give its directory: npm create aya-atomic@latest <dir>',
    );
  });

  it('on a terminal too, before the directory is asked', async () => {
    const e = await refusal([], PNPM_CREATE, { cwd: WS, ...terminal }, files);
    expect(e.message).toContain('\nTo bring it up to date: pnpm create aya-atomic@latest --update\n');
    expect(e.message).toMatch(/^\. is a workspace made by create-aya-atomic/);
    expect(e.message).not.toContain('npm keeps'); // pnpm passes every option on
  });

  it('npm create aya-atomic@latest --update --map per-cpu-hash: the command meant has --update', async () => {
    const e = await refusal(
      ['per-cpu-hash'],
      { ...NPM_CREATE, npm_config_all: 'true', npm_config_parseable: 'true', npm_config_message: '' },
      { cwd: WS },
      files,
    );
    expect(e.message.split('\n')[1]).toBe(
      'Put the options after `--`: npm create aya-atomic@latest -- --update --map per-cpu-hash',
    );
  });

  it('with a directory, or above the git work tree holding us, it generates', async () => {
    expect((await run(['new'], NPM_CREATE, { cwd: WS }, files)).kind).toBe('generate');
    const repo = `${WS}/vendor/other`;
    expect((await run([], NPM_CREATE, { cwd: repo }, [...files, `${repo}/.git`])).kind).toBe('generate');
  });

  it('pnpm and bun: `-- --update` is an update, not a directory named --update', async () => {
    for (const env of [PNPM_CREATE, BUN_CREATE, NPX]) {
      const plan = await run(['--', '--update'], env, { cwd: WS }, files).catch((e: Error) => e);
      // The fake workspace lacks the recorded options: reaching that check means --update was read as --update.
      expect(plan).toBeInstanceOf(CliError);
      expect((plan as CliError).message).toMatch(/aya-atomic\.toml lacks name, map/);
    }
  });
});

describe('--help speaks the language of the package manager that ran us', () => {
  it.each([
    [NPM_CREATE, 'npm create aya-atomic@latest [dir] -- [options]   (options after --, or npm keeps them)'],
    [PNPM_CREATE, 'pnpm create aya-atomic@latest [dir] [options]'],
    [YARN_CREATE, 'yarn create aya-atomic [dir] [options]'],
    [BUN_CREATE, 'bun create aya-atomic@latest [dir] -- [options]'],
    [NPX, 'npx create-aya-atomic@latest [dir] [options]'],
    [{}, 'npm create aya-atomic@latest [dir] -- [options]   (options after --, or npm keeps them)'],
  ])('%j', async (env, usage) => {
    const plan = await run(['--help'], env);
    expect(plan.kind === 'help' && plan.text.split('\n')[5]).toBe(`       ${usage}`);
  });

  it.each([
    [NPM_CREATE, 'npm create aya-atomic@latest probe -- --ordering seqcst --map hash --yes --no-git'],
    [PNPM_CREATE, 'pnpm create aya-atomic@latest probe --ordering seqcst --map hash --yes --no-git'],
    [BUN_CREATE, 'bun create aya-atomic@latest probe -- --ordering seqcst --map hash --yes --no-git'],
    [{}, 'npx create-aya-atomic@latest probe --ordering seqcst --map hash --yes --no-git'],
  ])('its examples too: %j', async (env, example) => {
    const plan = await run(['--help'], env);
    expect(plan.kind === 'help' && plan.text.split('\n')).toContain(`  ${example}`);
  });
});

describe('arguments in printed commands', () => {
  // What the user copies: bash must read each back as the argument itself, and no control character may reach
  // the terminal raw (a directory or a --config path is the user's, or a repository's, string).
  const cases: [arg: string, printed: string][] = [
    ['my-probe', 'my-probe'],
    ['my probe', "'my probe'"],
    ["it's", "'it'\\''s'"],
    ['a\x1b[2Jb', "$'a\\x1b[2Jb'"],
    ["new\nline's \\", "$'new\\nline\\'s \\\\'"],
    ['\u202eevil', "$'\\u202eevil'"],
  ];
  it.each(cases)('%j is printed as %s', (arg, printed) => {
    expect(shellQuote(arg)).toBe(printed);
  });
  it.each(cases)('bash reads %j back from it', (arg) => {
    // bash reads \u escapes in a UTF-8 locale.
    const env = { ...process.env, LC_ALL: 'C.UTF-8' };
    const r = spawnSync('bash', ['-c', `printf %s ${shellQuote(arg)}`], { encoding: 'utf8', env });
    expect(r.stdout).toBe(arg);
  });
});
