// When an ioredis client is ready: the waits of createRedisStores's calls and of its ping() across connection attempts.
import type { EventEmitter } from 'node:events'

/** What these waits use of an ioredis client (typed here: ioredis, an optional peer, stays out of the declarations). */
type ReadinessClient = Pick<EventEmitter, 'on' | 'once' | 'off'> & { readonly status: string }

/**
 * Waits for a connecting client to become ready, with one pair of listeners per connection attempt whatever the number
 * of callers (many calls at once would otherwise each add theirs). `wait(ms, untilClosed)`: true once ready, false
 * after `ms` (or, with `untilClosed`, as soon as that attempt fails); a client in no connecting status answers at once.
 */
export function sharedReadiness (client: ReadinessClient): { wait: (ms: number, untilClosed: boolean) => Promise<boolean>, end: () => void } {
  let next: Promise<'ready' | 'closed'> | undefined
  let endWait: (() => void) | undefined
  let ended = false
  const nextOutcome = (): Promise<'ready' | 'closed'> => next ??= new Promise((resolve) => {
    const settle = (outcome: 'ready' | 'closed'): void => {
      client.off('ready', onReady)
      client.off('close', onClose)
      next = undefined
      endWait = undefined
      resolve(outcome)
    }
    const onReady = (): void => { settle('ready') }
    const onClose = (): void => { settle('closed') }
    endWait = onClose
    client.on('ready', onReady)
    client.on('close', onClose)
  })
  const connecting = (): boolean => client.status === 'connecting' || client.status === 'connect'
  return {
    // close(): the connection may take a while to go (a peer that never reads the FIN); its waits end now.
    end: () => {
      ended = true
      endWait?.()
    },
    wait: async (ms, untilClosed) => {
      if (client.status === 'ready') return true
      if (ended || !connecting()) return false
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, ms) })
      try {
        for (;;) {
          const outcome = await Promise.race([nextOutcome(), timeout])
          if (outcome === 'ready') return true
          // A failed attempt: the next one may still succeed within `ms` (ping), unless the caller stops at it, or
          // close() ended the waits (no next attempt will come: a ping waiting through close() is refused at once).
          if (outcome === 'timeout' || untilClosed || ended) return false
        }
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/** Whether the client's next connection is ready within `ms`. */
export async function onceReady (client: ReadinessClient, ms: number): Promise<boolean> {
  let settle: ((ready: boolean) => void) | undefined
  const onReady = (): void => { settle?.(true) }
  const onEnd = (): void => { settle?.(false) }
  const timer = setTimeout(onEnd, ms)
  try {
    return await new Promise<boolean>((resolve) => {
      settle = resolve
      client.once('ready', onReady)
      client.once('end', onEnd)
    })
  } finally {
    clearTimeout(timer)
    client.off('ready', onReady)
    client.off('end', onEnd)
  }
}
