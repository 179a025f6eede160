// The one wrapper every Redis store command goes through (`run`): it turns "not connected", "timed out" and any Redis
// error into StoreUnavailableError (fail closed) without ever hanging, and through a stall lets one call at a time
// find out whether Redis answers again. With it, how createRedisStores watches every command of its client.
import { performance } from 'node:perf_hooks'
import { unavailable, type RedisStoreConfig } from './redis-common.js'

/** Statuses in which a command cannot be sent now: fail at once instead of queueing or waiting. */
const DOWN = new Set(['close', 'reconnecting', 'end'])

/**
 * Told when a store command outlives `run`'s own timeout, for the clients createRedisStores owns: a Redis that stops
 * answering without closing the connection is an outage no connection event reports. Every answer, and ioredis's own
 * timeout, reach the same watcher through `watchEveryCommand`; this timeout is one that ioredis never sees.
 */
const commandWatchers = new WeakMap<object, (answered: boolean) => void>()

/** Registers the watcher of a client's commands (see `commandWatchers`). */
export function watchCommands (client: object, watcher: (answered: boolean) => void): void {
  commandWatchers.set(client, watcher)
}

/** The message of the error with which ioredis rejects a command that outlived its `commandTimeout`. */
const IOREDIS_TIMEOUT = 'Command timed out'

/**
 * An ioredis command as its client settles it: Redis's reply reaches `resolve` (`reject` for an error reply), and so
 * does one that comes after ioredis's own timeout rejected the command's promise.
 */
interface Settled {
  resolve: (value: never) => unknown
  reject: (err: Error) => unknown
}

/** The one method of an ioredis client that every command goes through (typed without ioredis). */
interface CommandSender<C extends Settled, S> {
  sendCommand: (command: C, stream?: S) => unknown
}

/**
 * Tells `watcher` of every command `client` sends: answered by Redis (an error reply too), or timed out by ioredis's
 * `commandTimeout`. The client is the app's too (a session store on `stores.client`, as the READMEs show): its
 * commands never pass through the stores' own calls, and when Redis freezes they are the ones that time out first
 * (a page reads its session before any passcode is counted), with no connection event to report the outage.
 * An answer that comes after the command timed out counts too, and ends a stall of the stores' calls (see `run`):
 * Redis answering the commands it held is the first sign that it is back.
 */
export function watchEveryCommand<C extends Settled, S> (client: CommandSender<C, S>, watcher: (answered: boolean) => void): void {
  const send = client.sendCommand.bind(client)
  const answered = (): void => {
    const gate = stalls.get(client)
    if (gate !== undefined) gate.stalled = false
    watcher(true)
  }
  const watched: CommandSender<C, S>['sendCommand'] = (command, stream) => {
    const { resolve, reject } = command
    command.resolve = (value: never) => { answered(); return resolve(value) }
    command.reject = (err) => {
      if ((err as { message?: unknown } | null)?.message === IOREDIS_TIMEOUT) watcher(false)
      // A reply error (`WRONGTYPE`, `NOPERM`) is an answer; a connection closed is reported by the connection's events.
      else if ((err as { name?: unknown } | null)?.name === 'ReplyError') answered()
      return reject(err)
    }
    return send(command, stream)
  }
  Object.defineProperty(client, 'sendCommand', { value: watched, writable: true, configurable: true, enumerable: false })
}

/** Statuses of an ioredis client on its way to a connection, before it is ready for commands. */
const CONNECTING = new Set(['connecting', 'connect'])

/**
 * For the clients createRedisStores owns: how a command made while the client is still connecting waits for it (up to
 * `ms`; true once ready, false when it will not be). Without it, a command made in the first moments after start,
 * with Redis up, would fail as if Redis were down, since those clients have no offline queue.
 */
const readyWaiters = new WeakMap<object, (ms: number) => Promise<boolean>>()

/** Registers how commands on `client` wait for a connection under way (see `readyWaiters`). */
export function waitForReadyWith (client: object, waiter: (ms: number) => Promise<boolean>): void {
  readyWaiters.set(client, waiter)
}

/**
 * Per client: whether a command of the stores went unanswered past its timeout with no answer from Redis since, and
 * whether one call is finding out. ioredis keeps every command it sent until Redis answers (replies come in order),
 * so with Redis frozen or a connection silently dropped, each call sent meanwhile would stay in memory: thousands a
 * second, until Redis answers again, which it may never do on that connection.
 */
const stalls = new WeakMap<object, { stalled: boolean, probing: boolean }>()

/**
 * Runs one Redis command: at once StoreUnavailableError when the client is not connected (a client of
 * createRedisStores still making a connection, outside an outage, is waited for within the same budget),
 * StoreUnavailableError after `commandTimeoutMs` when no answer came, StoreUnavailableError for any error from Redis.
 * `onGivenUp`: called once when a command that was sent goes unanswered in time (this timeout or the client's own):
 * Redis may still run it when it answers again, for a write to be taken back. Once a command went unanswered, until
 * Redis answers anything again, one call at a time sends its command and the others are refused at once ("timed
 * out"): what a stalled Redis holds grows with time, not with the calls made.
 */
export async function run<T> (config: RedisStoreConfig, command: () => Promise<T>, onGivenUp?: () => void): Promise<T> {
  const { client } = config
  if (DOWN.has(client.status)) throw unavailable('not connected')
  let stall = stalls.get(client)
  if (stall === undefined) stalls.set(client, stall = { stalled: false, probing: false })
  const gate = stall
  if (gate.stalled && gate.probing) throw unavailable('timed out')
  const probe = gate.stalled
  if (probe) gate.probing = true
  try {
    return await sendWithin(config, command, onGivenUp, gate)
  } finally {
    if (probe) gate.probing = false
  }
}

/** {@link run} once the call may send: waits for a connection under way, sends, times out; keeps `gate` current. */
async function sendWithin<T> (config: RedisStoreConfig, command: () => Promise<T>, onGivenUp: (() => void) | undefined, gate: { stalled: boolean }): Promise<T> {
  const { client } = config
  let timeoutMs = config.commandTimeoutMs
  const waitForReady = CONNECTING.has(client.status) ? readyWaiters.get(client) : undefined
  if (waitForReady !== undefined) {
    // One budget for the wait and the command: `commandTimeoutMs` stays the longest a call takes.
    // On the monotonic clock: a step of the wall clock (NTP) must neither stretch the budget nor spend it at once.
    const started = performance.now()
    if (!await waitForReady(timeoutMs)) throw unavailable('not connected')
    timeoutMs = Math.max(1, timeoutMs - (performance.now() - started))
  }
  const watcher = commandWatchers.get(client)
  return await new Promise<T>((resolve, reject) => {
    let givenUp = false
    const giveUp = (): void => {
      if (givenUp) return
      givenUp = true
      onGivenUp?.()
    }
    const timer = setTimeout(() => {
      gate.stalled = true
      watcher?.(false)
      giveUp()
      reject(unavailable('timed out'))
    }, timeoutMs)
    let pending: Promise<T>
    try {
      pending = command()
    } catch (err) {
      clearTimeout(timer)
      reject(unavailable('command failed', err))
      return
    }
    // Both branches handle the promise, so a late rejection after the timeout is never unhandled.
    // An answer, even one that comes after the timeout, ends a stall: Redis is answering again.
    pending.then(
      (value) => { gate.stalled = false; clearTimeout(timer); resolve(value) },
      (err: unknown) => {
        clearTimeout(timer)
        // ioredis's own commandTimeout (a client of createRedisStores has it): sent, unanswered, as above.
        const timedOut = (err as { message?: unknown } | null)?.message === IOREDIS_TIMEOUT
        if (timedOut) {
          gate.stalled = true
          giveUp()
        } else if ((err as { name?: unknown } | null)?.name === 'ReplyError') gate.stalled = false
        reject(unavailable(timedOut ? 'timed out' : 'command failed', err))
      },
    )
  })
}
