// Ends a run with one plain line that any CI log reader understands (vitest's own summary is coloured
// and split over several lines): "tests: N passed, N failed, N skipped", and ", N errors" when a hook, a
// suite or a file failed outside any test. A test that never ran because its suite's hook failed is a
// failure, not a skip: only tests skipped on purpose (skipIf, with a reason) count as skipped.
import type { Reporter, SerializedError, TestCase, TestModule, TestSuite } from 'vitest/node';

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

/**
 * Whether `test` or a suite (or the file) around it has errors of its own (a failed hook, a throw while collecting).
 */
function inFailedScope(test: TestCase): boolean {
  for (let scope: TestSuite | TestModule = test.parent; ; scope = scope.parent) {
    if (scope.errors().length > 0) return true;
    if (scope.type === 'module') return false;
  }
}

export function summarize(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
): Summary {
  const summary: Summary = { passed: 0, failed: 0, skipped: 0, errors: unhandledErrors.length };
  for (const module of testModules) {
    summary.errors += module.errors().length;
    for (const suite of module.children.allSuites()) summary.errors += suite.errors().length;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') summary.passed++;
      else if (state === 'failed' || inFailedScope(test)) summary.failed++;
      else summary.skipped++;
    }
    // A file that failed with no error recorded and no test collected (it did not load).
    if (module.state() === 'failed' && module.errors().length === 0 && [...module.children.allTests()].length === 0) {
      summary.errors++;
    }
  }
  return summary;
}

export const summaryLine = ({ passed, failed, skipped, errors }: Summary) =>
  `tests: ${passed} passed, ${failed} failed, ${skipped} skipped${errors ? `, ${errors} errors` : ''}`;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    process.stdout.write(`\n${summaryLine(summarize(testModules, unhandledErrors))}\n`);
  }
}
