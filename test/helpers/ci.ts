// A test that cannot run on this machine skips, naming what is missing. In CI (.ci/run sets AYA_ATOMIC_CI=1),
// which installs everything the tests need, a missing prerequisite is a missing install step: the test file
// fails with the reason instead, so nothing skips there in silence.

/** `reason` when the test must skip here; throws in CI. Undefined (run the test) when nothing is missing. */
export function skipUnlessCi(reason: string | undefined): string | undefined {
  if (reason && process.env.AYA_ATOMIC_CI === '1') throw new Error(`CI must run this, but: ${reason}`);
  return reason;
}
