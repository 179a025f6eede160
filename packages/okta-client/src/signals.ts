// Waiting on a shared promise while a caller's AbortSignal may end the wait.
import { AbortedError } from './errors.js'

/**
 * Waits for `p` unless `signal` aborts first (a caller waiting on the shared token refresh can
 * leave; the refresh goes on for the others).
 */
export async function untilAborted<T> (p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await p
  let stop: (() => void) | undefined
  const abort = new Promise<never>((_resolve, reject) => {
    stop = onAbort(signal, () => { reject(new AbortedError({ cause: signal.reason })) })
  })
  try {
    return await Promise.race([p, abort])
  } finally {
    stop!()
  }
}

interface Watch { callbacks: Set<() => void>, listener: () => void }
const watches = new WeakMap<AbortSignal, Watch>()

/**
 * Calls `callback` when `signal` aborts; returns the function that stops watching. However many calls share one
 * signal (a request-scoped signal passed to every call of a page), the signal gets one listener: a listener per call
 * made Node warn of a leak (`MaxListenersExceededWarning`) from the eleventh call in flight.
 */
export function onAbort (signal: AbortSignal | undefined, callback: () => void): () => void {
  if (signal === undefined) return noop
  let watch = watches.get(signal)
  if (watch === undefined) {
    const callbacks = new Set<() => void>()
    const listener = (): void => {
      watches.delete(signal)
      for (const f of callbacks) f()
    }
    watch = { callbacks, listener }
    watches.set(signal, watch)
    signal.addEventListener('abort', listener, { once: true })
  }
  const w = watch
  w.callbacks.add(callback)
  return () => {
    if (!w.callbacks.delete(callback) || w.callbacks.size > 0 || watches.get(signal) !== w) return
    watches.delete(signal)
    signal.removeEventListener('abort', w.listener)
  }
}

function noop (): void {}

/**
 * Whether `signal` has aborted. A function, not an inline check, so that TypeScript does not keep the narrowing of an
 * earlier check across an await.
 */
export function aborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/**
 * A signal that aborts after `ms` with a `TimeoutError` (as `AbortSignal.timeout` does), and the function that stops
 * its timer. Node 20 holds an `AbortSignal.timeout()` inside `AbortSignal.any()` weakly: once collected it never fires.
 * Here the timer holds the controller, so the signal lives until it fires or is stopped.
 */
export function timeoutSignal (ms: number): { signal: AbortSignal, stop: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, ms)
  return { signal: controller.signal, stop: () => { clearTimeout(timer) } }
}

/**
 * One signal that aborts when any of `signals` does (with its reason), and the function that stops watching them.
 * `AbortSignal.any()` would do, but each one made over a long-lived signal (the client's close signal, a caller's
 * shared one) stays among that signal's dependants until it is collected, and Node 20 and 22 keep a little of each
 * for the life of the source: a leak per call while a token cannot be had. Here each source gets one listener
 * ({@link onAbort}), removed by `stop`.
 */
export function anySignal (signals: readonly AbortSignal[]): { signal: AbortSignal, stop: () => void } {
  const controller = new AbortController()
  const stops: Array<() => void> = []
  const stop = (): void => { for (const s of stops.splice(0)) s() }
  for (const source of signals) {
    if (source.aborted) {
      controller.abort(source.reason)
      break
    }
    stops.push(onAbort(source, () => {
      controller.abort(source.reason)
      stop()
    }))
  }
  if (controller.signal.aborted) stop()
  return { signal: controller.signal, stop }
}
