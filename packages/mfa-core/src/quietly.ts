// Running a callback whose failure must not become the caller's: an app's logger, a session write that has nowhere
// to go. Internal: not exported from the package.

/** Runs `fn`, dropping anything it throws. */
export function quietly (fn: () => void): void {
  try { fn() } catch { /* dropped on purpose: see the caller */ }
}
