// What the Redis stores share: the slice of an ioredis client they use, option checks, hashed keys, scripts, and the
// store error of a failure, which never puts a key, a value or the rest of Redis's reply in its message. The wrapper
// every command goes through is in redis-run.ts.
import { hash } from 'node:crypto'
import { StoreUnavailableError } from './types.js'
import { MAX_TIMER_MS } from '../deadline.js'
import { refuseUnknownOptions } from '../known-options.js'
import { InvalidOptionError } from '../invalid-option.js'

/**
 * The part of an ioredis `Redis` (or `Cluster`) client the stores use. Pass the client itself; this type only keeps
 * ioredis out of the declarations of @okta-mfa/core, where it is an optional peer dependency.
 */
export interface RedisClientLike {
  /** ioredis connection status: 'wait', 'connecting', 'connect', 'ready', 'close', 'reconnecting' or 'end'. */
  readonly status: string
  /** Defines a Lua script as a method of the client (EVALSHA with an EVAL fallback). */
  defineCommand: (name: string, definition: {
    /** How many of the command's arguments are Redis keys (the first ones). */
    numberOfKeys: number
    /** The script's Lua source. */
    lua: string
  }) => void
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
    throw new InvalidOptionError('"client" must be an ioredis client (Redis or Cluster)')
  }
  return Object.freeze({ client: c as RedisClientLike, ...checkStoreOptions(options) })
}

/** Validates and fills in {@link RedisStoreOptions}. */
export function checkStoreOptions (options: RedisStoreOptions | undefined): Required<RedisStoreOptions> {
  const o = options ?? {}
  if (typeof o !== 'object' || o === null) throw new InvalidOptionError('"options" must be an object')
  refuseUnknownOptions(o, STORE_OPTIONS, 'the Redis stores')
  const prefix = o.prefix === undefined ? DEFAULT_REDIS_PREFIX : o.prefix
  if (typeof prefix !== 'string' || prefix.length > 200) throw new InvalidOptionError('"prefix" option must be a string of at most 200 characters')
  const commandTimeoutMs = o.commandTimeoutMs === undefined ? DEFAULT_REDIS_COMMAND_TIMEOUT_MS : o.commandTimeoutMs
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs < 1 || commandTimeoutMs > MAX_TIMER_MS) {
    throw new InvalidOptionError(`"commandTimeoutMs" option must be a positive integer of at most ${MAX_TIMER_MS}`)
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
  if (typeof fn !== 'function') throw new InvalidOptionError('"client" must be an ioredis client (defineCommand did not define a command)')
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
  // eslint-disable-next-line no-restricted-syntax -- a copy of Redis's own error for logs, keeping its name and code
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

/** The longest TTL a store key takes: 100 years. */
const MAX_TTL_MS = 100 * 366 * 24 * 60 * 60_000

/** A positive TTL in whole ms for PX / PEXPIRE; anything else is a programmer mistake. */
export function ttlArg (ttlMs: number, name = 'ttlMs'): number {
  // Redis refuses an expiry beyond 64 bits of ms from now, and would then have run INCR without its PEXPIRE.
  if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) throw new InvalidOptionError(`"${name}" must be a positive number of ms, at most ${MAX_TTL_MS} (100 years)`)
  return Math.ceil(ttlMs)
}
