// --update: brings a generated workspace to this version (issue 15). Work in progress.
import { usageError, type ExitCode } from './errors.js';
import type { ExecuteIo } from './execute.js';
import type { UpdatePlan } from './resolve.js';

export async function update(plan: UpdatePlan, io: ExecuteIo): Promise<ExitCode> {
  void io;
  throw usageError(`--update of ${plan.shownDir} is not available yet`);
}
