// Waiting on a shared promise while a caller's AbortSignal may end the wait.
import { AbortedError } from './errors.js'

/**
 * Waits for `p` unless `signal` aborts first (a caller waiting on the shared token refresh can
 * leave; the refresh goes on for the others).
 */
export async function untilAborted<T> (p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await p
  let onAbort: (() => void) | undefined
  const abort = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new AbortedError({ cause: signal.reason })) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([p, abort])
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}

/**
 * Whether `signal` has aborted. A function, not an inline check, so that TypeScript does not keep the narrowing of an
 * earlier check across an await.
 */
export function aborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}
