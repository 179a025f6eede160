// What the Redis stores share: the slice of an ioredis client they use, option checks, hashed keys, and the one
// wrapper every command goes through, which turns "not connected", "timed out" and any Redis error into
// StoreUnavailableError (fail closed) without ever hanging or putting a key or value in the message.
import { hash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { StoreUnavailableError } from './types.js'
import { MAX_TIMER_MS } from '../deadline.js'
import { refuseUnknownOptions } from '../known-options.js'

/**
 * The part of an ioredis `Redis` (or `Cluster`) client the stores use. Pass the client itself; this type only keeps
 * ioredis out of the declarations of @okta-mfa/core, where it is an optional peer dependency.
 */
export interface RedisClientLike {
  /** ioredis connection status: 'wait', 'connecting', 'connect', 'ready', 'close', 'reconnecting' or 'end'. */
  readonly status: string
  /** Defines a Lua script as a method of the client (EVALSHA with an EVAL fallback). */
  defineCommand: (name: string, definition: { numberOfKeys: number, lua: string }) => void
  /** Sends any command. */
  call: (command: string, ...args: Array<string | number>) => Promise<unknown>
}

/** Options of {@link RedisAttemptStore} and {@link RedisRevocationStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key, so that several apps can share one Redis. @default 'okta-mfa:' */
  prefix?: string | undefined
  /**
   * Longest wait for one command before it rejects with StoreUnavailableError, whatever the client's own settings
   * (an offline queue, no commandTimeout). @default 1000
   */
  commandTimeoutMs?: number | undefined
}

/** Every option of the Redis stores. */
const STORE_OPTIONS: Record<keyof RedisStoreOptions, true> = { prefix: true, commandTimeoutMs: true }

/** Default key prefix of the Redis stores. */
export const DEFAULT_REDIS_PREFIX = 'okta-mfa:'
/** Default per-command timeout of the Redis stores, in ms. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000

/** Statuses in which a command cannot be sent now: fail at once instead of queueing or waiting. */
const DOWN = new Set(['close', 'reconnecting', 'end'])

/** Checked, frozen settings shared by both Redis stores. */
export interface RedisStoreConfig {
  readonly client: RedisClientLike
  readonly prefix: string
  readonly commandTimeoutMs: number
}

/** Validates the constructor arguments of a Redis store; programmer mistakes throw TypeError naming the option. */
export function redisStoreConfig (client: unknown, options: RedisStoreOptions | undefined): RedisStoreConfig {
  const c = client as Partial<RedisClientLike> | null | undefined
  if (typeof c !== 'object' || c === null || typeof c.defineCommand !== 'function' || typeof c.call !== 'function') {
    throw new TypeError('"client" must be an ioredis client (Redis or Cluster)')
  }
  return Object.freeze({ client: c as RedisClientLike, ...checkStoreOptions(options) })
}

/** Validates and fills in {@link RedisStoreOptions}. */
export function checkStoreOptions (options: RedisStoreOptions | undefined): Required<RedisStoreOptions> {
  const o = options ?? {}
  if (typeof o !== 'object' || o === null) throw new TypeError('"options" must be an object')
  refuseUnknownOptions(o, STORE_OPTIONS, 'the Redis stores')
  const prefix = o.prefix === undefined ? DEFAULT_REDIS_PREFIX : o.prefix
  if (typeof prefix !== 'string' || prefix.length > 200) throw new TypeError('"prefix" option must be a string of at most 200 characters')
  const commandTimeoutMs = o.commandTimeoutMs === undefined ? DEFAULT_REDIS_COMMAND_TIMEOUT_MS : o.commandTimeoutMs
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs < 1 || commandTimeoutMs > MAX_TIMER_MS) {
    throw new TypeError(`"commandTimeoutMs" option must be a positive integer of at most ${MAX_TIMER_MS}`)
  }
  return { prefix, commandTimeoutMs }
}

/**
 * A caller's key as it is stored: SHA-256, base64url. Keys stay short whatever their input, and logins or session
 * ids never appear in Redis (nor in MONITOR, SLOWLOG or a dump).
 */
export function hashKey (key: string): string {
  return hash('sha256', key, 'base64url') // one-shot: a third of createHash's cost, and it runs for every command
}

/** Defines a Lua command on the client (EVALSHA, falling back to EVAL on NOSCRIPT, pipelined like any command). */
export function defineScript (client: RedisClientLike, name: string, numberOfKeys: number, lua: string): (...args: Array<string | number>) => Promise<unknown> {
  client.defineCommand(name, { numberOfKeys, lua })
  const fn = (client as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>)[name]
  if (typeof fn !== 'function') throw new TypeError('"client" must be an ioredis client (defineCommand did not define a command)')
  return fn.bind(client)
}

/**
 * Redis's answer to a command it does not know quotes the command's first arguments
 * (`ERR unknown command 'auth', with args beginning with: '<password>' `): an `AUTH` sent to a server that renamed or
 * lacks it would put the password in the message. Cut from there.
 */
const QUOTED_ARGUMENTS = /, with args beginning with:.*$/s

/**
 * A Redis client's error as it may be handed on (a cause, a log): its name, message and `code` only, and the message
 * without the arguments a Redis reply may quote. ioredis errors also carry the command and its arguments, and a refused
 * `AUTH` (a wrong or rotated password) carries the password.
 *
 * @example
 * ```ts
 * redis.on('error', (err) => { log.error({ err: shareableRedisError(err) }, 'redis error') })
 * ```
 */
export function shareableRedisError (err: Error): Error {
  const copy = Object.assign(new Error(err.message.replace(QUOTED_ARGUMENTS, ', with args beginning with: (not shown)')), { name: err.name })
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? Object.assign(copy, { code }) : copy
}

/** The store error of a failure: `reason` as given, or for a command Redis refused, its error code (see below). */
export function unavailable (reason: string, err?: unknown): StoreUnavailableError {
  const refused = refusalCode(err)
  const message = `The MFA state store is unavailable (${refused === undefined ? reason : `refused: ${refused}`})`
  // No `cause` key at all without an error: `{ cause: undefined }` would still give the error an own `cause`.
  return new StoreUnavailableError(message, { reason: refused ?? reason, ...(err instanceof Error ? { cause: shareableRedisError(err) } : {}) })
}

/**
 * The error code Redis put first in its refusal of a command (`NOPERM this user has no permissions...`: `NOPERM`), for
 * ioredis's ReplyError only. The rest of the reply is not taken: some replies quote the command's arguments.
 */
function refusalCode (err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== 'ReplyError') return undefined
  // An ACL user allowed the scripts but not a command they run: Redis says `ERR`, where a key refused is `NOPERM`.
  if (SCRIPT_COMMAND_REFUSED.test(err.message)) return 'NOPERM'
  return /^([A-Z][A-Z_]{1,31})(?: |$)/.exec(err.message)?.[1]
}

/** Redis's refusal of a command an ACL user may not run, run by a script that user may run. */
const SCRIPT_COMMAND_REFUSED = /^ERR The user executing the script can't run this command/

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

/** The longest TTL a store key takes: 100 years. */
const MAX_TTL_MS = 100 * 366 * 24 * 60 * 60_000

/** A positive TTL in whole ms for PX / PEXPIRE; anything else is a programmer mistake. */
export function ttlArg (ttlMs: number, name = 'ttlMs'): number {
  // Redis refuses an expiry beyond 64 bits of ms from now, and would then have run INCR without its PEXPIRE.
  if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) throw new TypeError(`"${name}" must be a positive number of ms, at most ${MAX_TTL_MS} (100 years)`)
  return Math.ceil(ttlMs)
}
