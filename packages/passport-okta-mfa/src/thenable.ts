// Whether a callback's result is a promise (or any thenable) to wait for: an app's verify, logIn or session store
// method may be async or not.

/** Whether `value` has a `then` method (a promise of any kind, a function object included). */
export function isThenable (value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
