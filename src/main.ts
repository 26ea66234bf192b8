// main(): resolve the plan, carry it out, and end with one exit code (and, with --json, one JSON object).
import { CliError, EXIT, osErrorCause, type ExitCode } from './errors.js';
import { printable } from './validate.js';
import { execute } from './execute.js';
import type { Report } from './report.js';
import { fileHost } from './host.js';
import { jsonNote } from './package-manager.js';
import { outputMode, resolve, type Host, type Prompter } from './resolve.js';
import { colorEnabled, configureColor, createUi, standardOutput, type Output, type Ui } from './ui.js';

export interface Io {
  argv: readonly string[];
  /** undefined: the current directory no longer exists. */
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  version: string;
  isRoot: boolean;
  host?: Host;
  prompter?: Prompter;
  output?: Output;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Bumped when a field of the --json report changes meaning. */
export const JSON_SCHEMA_VERSION = 2;

export async function main(io: Io): Promise<ExitCode> {
  const mode = outputMode(io.argv, io.env);
  const out = io.output ?? standardOutput();
  const color = colorEnabled(mode.color, { isTTY: out.isTerminal(mode.json ? 2 : 1) }, io.env);
  await configureColor(color);
  const ui = createUi(mode.json, out);
  const banner = mode.json ? jsonNote(io.env) : undefined;
  if (banner) ui.warn(banner);
  const report: Report = { schemaVersion: JSON_SCHEMA_VERSION, ok: false, exitCode: EXIT.unexpected };
  const finish = (exitCode: ExitCode) => {
    report.exitCode = exitCode;
    report.ok = exitCode === EXIT.ok;
    if (mode.json) out.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return exitCode;
  };
  // SIGINT, SIGTERM and SIGHUP (a closed terminal, a CI runner's timeout) abort whatever runs, which
  // rolls a write back and stops cargo's whole process group.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => controller.abort(signal);
  let listening = false;
  const listen = () => {
    if (listening) return;
    listening = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  };
  try {
    const prompter = io.prompter ?? lazyPrompter(color);
    const plan = await resolve(
      { ...io, cwd: io.cwd ?? withoutCurrentDirectory(io.argv) },
      io.host ?? fileHost(),
      prompter,
    );
    switch (plan.kind) {
      case 'help':
      case 'version':
        ui.say(plan.text);
        return finish(EXIT.ok);
      case 'generate': {
        listen();
        return finish(
          await execute(plan, { ui, version: io.version, report, isRoot: io.isRoot, signal: controller.signal }),
        );
      }
      case 'update': {
        listen();
        const { update } = await import('./update/index.js');
        return finish(
          await update(plan, { ui, version: io.version, report, isRoot: io.isRoot, signal: controller.signal }),
        );
      }
      default:
        return plan satisfies never;
    }
  } catch (error) {
    return finish(failure(error, ui, report, io.env));
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

/**
 * Where --help and --version run when the current directory is gone (they need none); every other command
 * works relative to it, and ends with one sentence instead of Node's stack.
 */
function withoutCurrentDirectory(argv: readonly string[]): string {
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  if (flags.some((f) => ['-h', '--help', '-v', '--version'].includes(f))) return '/';
  throw new CliError(
    'The current directory no longer exists (it was deleted or moved): cd into an existing directory and run again. Nothing was written.',
    EXIT.unexpected,
    'os',
  );
}

function failure(error: unknown, ui: Ui, report: Report, env: NodeJS.ProcessEnv): ExitCode {
  if (error instanceof CliError) {
    report.error = { kind: error.kind, message: error.message };
    if (error.exitCode === EXIT.cancelled) ui.say(error.message);
    else ui.error(error.message);
    if (error.kind === 'os' && env.CREATE_AYA_ATOMIC_DEBUG) ui.error(String((error as Error).stack));
    return error.exitCode;
  }
  const os = osErrorCause(error);
  if (os) {
    // An error from the operating system before anything was written (reading the target, say).
    const message = `Cannot use ${os.path === undefined ? 'the target' : printable(os.path)}: ${os.cause} (${os.code}). Nothing was written.`;
    report.error = { kind: 'os', message };
    ui.error(message);
    if (env.CREATE_AYA_ATOMIC_DEBUG && error instanceof Error) ui.error(String(error.stack));
    return EXIT.unexpected;
  }
  const message = error instanceof Error ? error.message : String(error);
  report.error = { kind: 'unexpected', message };
  ui.error(`Unexpected error: ${message}`);
  if (env.CREATE_AYA_ATOMIC_DEBUG && error instanceof Error) ui.error(String(error.stack));
  else ui.error('(set CREATE_AYA_ATOMIC_DEBUG=1 for the stack trace)');
  return EXIT.unexpected;
}

/** The terminal prompter, loaded only when a question is asked: --help, --yes, --json and CI never pay for it. */
function lazyPrompter(color: boolean): Prompter {
  let prompter: Promise<Prompter> | undefined;
  const load = () => (prompter ??= import('./prompts.js').then((m) => m.terminalPrompter(color)));
  return {
    text: async (q) => (await load()).text(q),
    select: async (q) => (await load()).select(q),
  };
}
