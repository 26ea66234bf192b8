// Which package manager ran us, and how to speak its language: the arguments it passed on, the form of a
// command to advise, and the options npm kept for itself. Pure: everything comes from the environment
// the package manager set and the arguments it passed (docs/command-line.md, "Package managers").
import { usageError } from './errors.js';
import { CONFIG_FLAG, OPTIONS, SWITCHES, type Switches } from './options.js';
import { printable, shown } from './validate.js';

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface Launch {
  /** From npm_config_user_agent (`pnpm/10.34.9 npm/? node/v20.20.2 linux x64`), which every one of them sets. */
  pm?: PackageManagerName;
  /**
   * How it started us, when it did: `create` (npm create or init, pnpm 12 create, yarn create) or `exec`
   * (npx, npm exec, pnpm dlx, pnpm 10 create, bun create and bunx: pnpm 10 and bun do not tell them
   * apart). Undefined when we run below one of them for another reason (an `npm run` script, a test
   * runner) or on our own.
   */
  how?: 'create' | 'exec';
}

type Env = Readonly<Record<string, string | undefined>>;

export function launch(env: Env): Launch {
  const agent = /^(npm|pnpm|yarn|bun)\//.exec(env.npm_config_user_agent ?? '')?.[1] as PackageManagerName | undefined;
  const command = env.npm_command ?? '';
  const event = env.npm_lifecycle_event ?? '';
  switch (agent) {
    case 'npm':
      return { pm: agent, how: command === 'init' ? 'create' : command === 'exec' ? 'exec' : undefined };
    case 'pnpm':
      // pnpm 12 says create or dlx; pnpm 10 sets nothing but the agent there, and a script's name in a run.
      if (command === 'create') return { pm: agent, how: 'create' };
      return { pm: agent, how: command === 'dlx' || (!command && !event) ? 'exec' : undefined };
    case 'yarn':
      return { pm: agent, how: event === 'create' ? 'create' : command === 'dlx' ? 'exec' : undefined };
    case 'bun':
      return { pm: agent, how: event === 'bunx' ? 'exec' : undefined };
    default:
      return {};
  }
}

/**
 * The arguments meant for us. pnpm, bun and npx pass on the `--` that separates the package manager's
 * options from ours (`pnpm create aya-atomic@latest -- --update` arrives as `-- --update`), npm create and
 * yarn drop it: when a package manager started us, the first `--` is that separator, not the end of our
 * options. A directory that starts with `-` is written `./-dir` (or after a second `--`).
 */
export function packageManagerArgs(argv: readonly string[], env: Env): string[] {
  const i = argv.indexOf('--');
  if (i < 0 || !launch(env).how) return [...argv];
  return [...argv.slice(0, i), ...argv.slice(i + 1)];
}

/**
 * The variables for an npm we start ourselves (to fetch the release an update's base comes from), from ours.
 * yarn 1 passes its whole configuration on as npm_config_* variables, its own registry
 * (https://registry.yarnpkg.com) among them, which npm would take over the user's npmrc: when yarn ran us,
 * they go, and npm reads the user's own configuration.
 */
export function npmChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (launch(env).pm !== 'yarn') return env;
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_config_/i.test(k)));
}

/**
 * Quotes an argument for a POSIX shell when it needs it. One that holds a control character is written in
 * bash's and zsh's `$'…'` form, its escapes spelled out: printed raw, the character would act on the terminal.
 */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./@%+=:,-]+$/.test(arg)) return arg;
  const escaped = arg.replace(/[\\']/g, '\\$&');
  const spelled = printable(escaped);
  return spelled === escaped ? `'${arg.replace(/'/g, `'\\''`)}'` : `$'${spelled}'`;
}

/**
 * The command that runs the latest create-aya-atomic with `dir` and `options`, in the form that works for
 * the package manager that ran us (npx when none did). Always the latest release: an older one in a cache
 * may not know an option the advice gives. yarn 1 takes no version there (`yarn create` always installs
 * the latest); bun reads options of its own before `--` (`-y` is an error there).
 */
export function adviceCommand(env: Env, dir: string | undefined, options: readonly string[] = []): string {
  const { pm, how } = launch(env);
  // Placeholders (`<dir>`, `[options]`) stay as they are.
  const quote = (a: string) => (/^[<[]/.test(a) ? a : shellQuote(a));
  const d = dir === undefined ? [] : [quote(dir.startsWith('-') ? `./${dir}` : dir)];
  const o = options.map(quote);
  const parts = (() => {
    switch (pm === 'npm' && how === 'exec' ? undefined : pm) {
      case 'npm':
        return ['npm create aya-atomic@latest', ...d, ...(o.length ? ['--', ...o] : [])];
      case 'pnpm':
        return ['pnpm create aya-atomic@latest', ...d, ...o];
      case 'yarn':
        return ['yarn create aya-atomic', ...d, ...o];
      case 'bun':
        return ['bun create aya-atomic@latest', ...d, ...(o.length ? ['--', ...o] : [])];
      default:
        return ['npx create-aya-atomic@latest', ...d, ...o];
    }
  })();
  return parts.join(' ');
}

/** The usage line for the package manager that ran us (npm create when none did), for --help and hints. */
export function usageLine(env: Env): string {
  const { pm, how } = launch(env);
  const line = adviceCommand(pm ? env : { npm_config_user_agent: 'npm/', npm_command: 'init' }, '[dir]', ['[options]']);
  return !pm || (pm === 'npm' && how !== 'exec') ? `${line}   (options after --, or npm keeps them)` : line;
}

// ---------------------------------------------------------------------------------------------
// What npm swallowed. npm parses every option before `--` as its own, npm create and npm exec alike: a
// name it does not know becomes an `npm_config_<name>` variable set to "true" and the value after it a
// plain argument; some names it expands or knows. Measured with npm 11 (docs/command-line.md):
//   --map hash      → npm_config_all=true, npm_config_parseable=true (npm reads -m -a -p), "hash" passed on
//   --ordering x    → npm_config_ordering=true, "x" passed on (so --program, --attach, --toolchain, --config)
//   --ordering=x    → npm_config_ordering=x
//   --name x        → npm_config_name=x
//   -y, --yes       → npm_config_yes=true          --offline → npm_config_offline=true
//   --json          → npm_config_json=true         --dry-run → npm_config_dry_run=true
//   --overwrite     → npm_config_overwrite=true    --verify / --no-verify → npm_config_verify=true / ""
//   --git / --no-git → npm_config_git="" / "false" (npm's path to git)
//   --update        → --update-notifier: only seen when the user's npm config had turned it off
// (-h, --help, -v and --version are answered by npm itself and never reach us.)

interface Swallowed {
  flag: string;
  /** The option's value: given, taken from what npm passed on (`null`), or none (a switch). */
  value?: string | null;
  /**
   * A setting people also keep in an npmrc file (npm's yes and offline): it ends the run only when it
   * changes what happens, and is named in the command that was meant all the same.
   */
  maybeConfig?: boolean;
  matters: boolean;
}

/**
 * What npm kept, read off the variables it made of our flags: each option's and switch's `npm` entry in
 * the options model says which (options.ts); `--config` is read as an option would be.
 */
function swallowed(env: Env, given: Partial<Switches>, interactive: boolean): Swallowed[] {
  const lost: Swallowed[] = [];
  const valueFlags: { flag: string; variable: string; expandsTo?: Readonly<Record<string, string>> }[] = [
    ...OPTIONS.map((o) => ({ flag: o.flag, variable: `npm_config_${o.key}`, expandsTo: o.npm?.expandsTo })),
    { flag: CONFIG_FLAG, variable: `npm_config_${CONFIG_FLAG.slice(2)}` },
  ];
  for (const { flag, variable, expandsTo } of valueFlags) {
    if (expandsTo) {
      // npm read it as short flags of its own: the value went on as an argument.
      if (Object.entries(expandsTo).every(([k, v]) => env[k] === v)) lost.push({ flag, value: null, matters: true });
      continue;
    }
    const v = env[variable];
    if (v === undefined || v === '') continue;
    lost.push({ flag, value: v === 'true' ? null : v, matters: true });
  }
  for (const sw of SWITCHES) {
    if (!sw.npm || given[sw.key] !== undefined) continue;
    const v = env[sw.npm.variable];
    const flag =
      v === undefined ? undefined : v === sw.npm.on ? sw.flags.at(-1) : v === sw.npm.off ? sw.negation : undefined;
    if (flag === undefined) continue;
    const setting = sw.npm.setting;
    lost.push(setting ? { flag, maybeConfig: true, matters: setting(given, interactive) } : { flag, matters: true });
  }
  return lost;
}

/** Lost options with their values found among the arguments npm passed on; what remains is the directory. */
function corrected(lost: Swallowed[], positionals: readonly string[]): { dir?: string; options: string[] } {
  const left = [...positionals];
  const values = new Map<Swallowed, string>();
  // A value that only one option accepts (a map, an ordering, a program) finds its option wherever it is.
  for (const s of lost) {
    if (s.value !== null) continue;
    const choices = OPTIONS.find((o) => o.flag === s.flag)?.choices;
    if (!choices) continue;
    const accepts = (a: string) =>
      choices.some((c) => c.value === a.trim().toLowerCase() || c.aliases?.includes(a.trim().toLowerCase()));
    const i = left.findIndex(accepts);
    if (i >= 0) values.set(s, left.splice(i, 1)[0]);
  }
  // The others in order, after the directory when there is one argument more than values.
  const open = lost.filter((s) => s.value === null && !values.has(s));
  const dir = left.length === open.length + 1 ? left.shift() : undefined;
  if (left.length === open.length) open.forEach((s, i) => values.set(s, left[i]));
  const options = lost.flatMap((s) => {
    if (s.value === undefined) return [s.flag];
    const value = s.value ?? values.get(s);
    return [s.flag, value ?? OPTIONS.find((o) => o.flag === s.flag)?.arg ?? '<file>'];
  });
  return { dir, options };
}

/**
 * Under npm create or npm exec, the options npm kept for itself (npm_config_* variables it made of
 * them) end the run before anything is asked or written, with the command that was meant.
 * `positionals` are the arguments that did reach us, `given` the switches among them.
 */
export function checkNpmSwallowed(
  env: Env,
  positionals: readonly string[],
  given: Partial<Switches>,
  here: { interactive: boolean; insideWorkspace: boolean },
): void {
  if (launch(env).pm !== 'npm' || !launch(env).how) return;
  const lost = swallowed(env, given, here.interactive);
  if (!lost.some((s) => s.matters)) return;
  const flags = lost.map((s) => s.flag);
  const list = flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(', ')} and ${flags.at(-1)}`;
  const fix = corrected(lost, positionals);
  const passedOn = lost.some((s) => s.value === null) ? [...positionals] : [];
  if (fix.dir !== undefined) passedOn.splice(passedOn.indexOf(fix.dir), 1);
  // A --update leaves no trace (npm reads it as its --update-notifier); without a directory, inside a
  // workspace, it is what was meant.
  if (here.insideWorkspace && fix.dir === undefined && !fix.options.includes('--update') && !given.update)
    fix.options.unshift('--update');
  // Only npm's yes or offline ended the run: they may come from the user's npm settings.
  const config = lost.every((s) => s.maybeConfig || !s.matters)
    ? lost.filter((s) => s.matters).map((s) => s.flag.slice(2))
    : [];
  throw usageError(
    `npm kept ${list} for itself, so ${flags.length === 1 ? 'it' : 'they'} never reached create-aya-atomic` +
      (passedOn.length ? ` (npm passed on ${passedOn.map((p) => shown(p)).join(', ')} as plain arguments)` : '') +
      '. Nothing was written.\n' +
      `Put the options after \`--\`: ${adviceCommand(env, fix.dir, fix.options)}` +
      (config.length
        ? `\n(npm's ${config.join(' and ')} can also come from an npmrc file or an npm_config_ variable: then give ` +
          `${config.map((c) => `--${c}`).join(' and ')} after \`--\` too, or remove ${config.length === 1 ? 'it' : 'them'} there.)`
        : ''),
  );
}

/**
 * npm create and npm init print their own lines on stdout before ours (`> npx`, the command); with
 * --json, say how to get stdout that is only the JSON.
 */
export function jsonNote(env: Env): string | undefined {
  const { pm, how } = launch(env);
  if (pm !== 'npm' || how !== 'create' || env.npm_config_loglevel === 'silent') return undefined;
  return (
    'npm create printed its own lines on stdout before this JSON. For stdout that is only the JSON: ' +
    `npx create-aya-atomic@latest [dir] [options] --json, or npm create --silent aya-atomic@latest [dir] -- [options] --json`
  );
}
