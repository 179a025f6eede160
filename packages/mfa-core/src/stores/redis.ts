// One call that turns REDIS_URL into the shared stores: an ioredis client set up to fail fast and reconnect forever,
// the attempt and revocation stores over it, a readiness probe and a close.
import type { Redis, RedisOptions } from 'ioredis'
import { performance } from 'node:perf_hooks'
import { checkStoreOptions, defineScript, redisStoreConfig, shareableRedisError, unavailable, type RedisClientLike, type RedisStoreConfig } from './redis-common.js'
import { run, waitForReadyWith, watchCommands, watchEveryCommand } from './redis-run.js'
import { RedisAttemptStore } from './redis-attempts.js'
import { RedisRevocationStore } from './redis-revocation.js'
import { onceReady, sharedReadiness } from './redis-readiness.js'
import { quietly } from '../quietly.js'
import { MAX_TIMER_MS } from '../deadline.js'
import { refuseUnknownOptions } from '../known-options.js'
import { loadIoredis } from './ioredis-load.js'
import { redisUrlProblem } from './redis-url.js'
import { InvalidOptionError } from '../invalid-option.js'

/** Options of {@link createRedisStores}. */
export interface CreateRedisStoresOptions {
  /** Prepended to every key. @default 'okta-mfa:' */
  prefix?: string | undefined
  /** Longest wait for one command (and for `ping()`), in ms. @default 1000 */
  commandTimeoutMs?: number | undefined
  /**
   * Longest wait for one connection attempt, in ms; also the longest a connection may stay silent while commands wait
   * for an answer before it is dropped and a new one made (a connection a proxy, a NAT or a failover dropped without a
   * word, which TCP may take a quarter of an hour to notice, or never). @default 5000
   */
  connectTimeoutMs?: number | undefined
  /** Cap of the reconnect backoff (50 ms, 100 ms, 200 ms, … up to this), in ms. Reconnection never stops. @default 2000 */
  maxReconnectDelayMs?: number | undefined
  /**
   * Called with each connection error, for logging: a copy with its `name`, `message` and `code` only (ioredis's own
   * error carries the command, and a refused `AUTH` the password). @default errors are dropped
   */
  onError?: ((err: Error) => void) | undefined
  /**
   * Called once when Redis becomes unreachable (`'down'`, with the first error) and once when it is reachable again
   * (`'up'`), however many reconnect attempts fail in between: what a log of outages wants. @default none
   */
  onStatusChange?: ((status: 'down' | 'up', err?: Error) => void) | undefined
  /**
   * More ioredis options (TLS, username, `db` unless the URL names one, …). The fail-closed settings
   * (`enableOfflineQueue: false`, `commandTimeout`, `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`,
   * `retryStrategy`, `reconnectOnError`: a reconnect on `READONLY`) win.
   */
  redisOptions?: RedisConnectionOptions | undefined
}

/**
 * ioredis's connection options (its `RedisOptions`: `tls`, `username`, `password`, `db`, …). Typed as any object so
 * that the declarations of @okta-mfa/core need no ioredis, an optional peer dependency: a TypeScript app without it
 * still type-checks with `skipLibCheck: false`. ioredis checks them when it connects.
 *
 * @example
 * const options: RedisConnectionOptions = { tls: { servername: 'redis.example.com' } }
 */
export type RedisConnectionOptions = object

/**
 * The ioredis client {@link createRedisStores} made, as far as these stores and a session store need it. It is an
 * ioredis `Redis`; for the rest of its API, cast it: `stores.client as unknown as Redis` (with `import type { Redis }
 * from 'ioredis'`). Typed structurally so that the declarations of @okta-mfa/core need no ioredis.
 *
 * @example
 * new RedisStore({ client: stores.client }) // connect-redis, on the same connection
 */
export interface RedisStoresClient extends RedisClientLike {
  /** Sends QUIT and closes the connection; `close()` of the stores does this. */
  quit: () => Promise<unknown>
  /** Closes the connection at once, without QUIT. */
  disconnect: () => void
  /** Listens to the client's events (`'ready'`, `'error'`, `'end'`, …). */
  on: (event: string, listener: (...args: any[]) => void) => unknown
  /** Listens to the next such event only. */
  once: (event: string, listener: (...args: any[]) => void) => unknown
}

// The readiness probe: what every store call needs, a write Redis takes, and nothing left behind.
const PROBE_LUA = `
redis.call('SET', KEYS[1], '1', 'PX', 1000)
redis.call('DEL', KEYS[1])
return 1
`

/**
 * After a failover, a connection to the old primary (now a replica) answers every write `READONLY`: reconnecting lets
 * the URL (DNS, a proxy) lead to the new primary. The write itself still fails (STORE_UNAVAILABLE), never replayed.
 */
function reconnectOnReadonly (err: Error): boolean {
  return err.message.startsWith('READONLY')
}

/** Every option of {@link createRedisStores}. */
const CREATE_OPTIONS: Record<keyof CreateRedisStoresOptions, true> = {
  prefix: true, commandTimeoutMs: true, connectTimeoutMs: true, maxReconnectDelayMs: true, onError: true, onStatusChange: true, redisOptions: true,
}

/** What {@link createRedisStores} returns. */
export interface RedisStores {
  /** Attempt counters shared by every instance. */
  attempts: RedisAttemptStore
  /** Session revocations shared by every instance. */
  revocations: RedisRevocationStore
  /** The ioredis client, owned by these stores: `close()` ends it. */
  client: RedisStoresClient
  /**
   * Resolves when Redis takes a write (a key of the prefix set and deleted in one script, so none is left); rejects with
   * StoreUnavailableError otherwise, also while Redis answers but refuses writes: full (`OOM`), a replica (`READONLY`).
   * For /readyz.
   */
  ping: () => Promise<void>
  /** Closes the client (QUIT when connected) and stops reconnecting. */
  close: () => Promise<void>
}

/**
 * Connects to Redis at `url` (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS) and returns the
 * attempt and revocation stores over one client. The client connects at once and reconnects by itself with a capped
 * backoff. A store call made during the first connection waits for it (within `commandTimeoutMs`); in an outage
 * every store call rejects with StoreUnavailableError at once (no offline queue: so do other commands on `client`,
 * such as a session store's, until the first connection is ready: `await ping()` before serving with one), and a
 * command without an answer rejects after `commandTimeoutMs`. Connection errors never crash the process.
 *
 * Needs the optional peer dependency `ioredis`.
 *
 * @example
 * const redis = process.env.REDIS_URL === undefined ? undefined : createRedisStores(process.env.REDIS_URL)
 * await redis?.ping()
 * // … on shutdown
 * await redis?.close()
 */
export function createRedisStores (url: string, options: CreateRedisStoresOptions = {}): RedisStores {
  const urlProblem = redisUrlProblem(url, '"url"')
  if (urlProblem !== undefined) throw new InvalidOptionError(urlProblem)
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('"options" must be an object')
  refuseUnknownOptions(options, CREATE_OPTIONS, 'createRedisStores')
  // Every check runs before the client exists, so a bad option never leaves a connection behind.
  const storeOptions = checkStoreOptions({ prefix: options.prefix, commandTimeoutMs: options.commandTimeoutMs })
  const { commandTimeoutMs } = storeOptions
  const connectTimeoutMs = positiveInt(options.connectTimeoutMs === undefined ? 5000 : options.connectTimeoutMs, 'connectTimeoutMs')
  const maxReconnectDelayMs = positiveInt(options.maxReconnectDelayMs === undefined ? 2000 : options.maxReconnectDelayMs, 'maxReconnectDelayMs')
  if (options.onError !== undefined && typeof options.onError !== 'function') throw new InvalidOptionError('"onError" option must be a function')
  if (options.onStatusChange !== undefined && typeof options.onStatusChange !== 'function') throw new InvalidOptionError('"onStatusChange" option must be a function')
  if (options.redisOptions !== undefined && (typeof options.redisOptions !== 'object' || options.redisOptions === null)) {
    throw new InvalidOptionError('"redisOptions" option must be an object')
  }
  const db = (options.redisOptions as { db?: unknown } | undefined)?.db
  if (db !== undefined && !(Number.isSafeInteger(db) && (db as number) >= 0)) throw new InvalidOptionError('"redisOptions.db" option must be a non-negative integer')
  // ioredis would take the URL's and drop this one without a word.
  if (db !== undefined && /^rediss?:\/\/[^/?#]*(\/[0-9]+|\/?\?db=)/i.test(url)) throw new InvalidOptionError('"redisOptions.db" option: the URL names a database already; keep one')

  // A READONLY answer drops the connection to reconnect: set until the new one is ready (see ping()).
  let refusalReconnect = false
  const RedisClass = loadIoredis() as new (url: string, options: RedisOptions) => Redis
  const client = new RedisClass(url, {
    ...options.redisOptions,
    lazyConnect: false,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times - 1, 16), maxReconnectDelayMs),
    reconnectOnError: (err: Error) => {
      const reconnect = reconnectOnReadonly(err)
      if (reconnect) refusalReconnect = true
      return reconnect
    },
  })
  // Without a listener ioredis prints every reconnect failure; with one nothing escapes as an 'error' event.
  const { onError, onStatusChange } = options
  let down = false
  let misconfigured = false
  // A throwing logger must not turn a Redis outage into a crash.
  const markDown = (err: Error): void => {
    if (down) return
    down = true
    quietly(() => { onStatusChange?.('down', err) })
  }
  const markUp = (): void => {
    if (!down || misconfigured) return
    down = false
    quietly(() => { onStatusChange?.('up') })
  }
  client.on('error', (err: Error) => {
    if ((err as { command?: { name?: unknown } }).command?.name === 'select') {
      // The URL's database does not exist on this server: ioredis would go on in database 0, sharing its keys with
      // whatever app uses it. Stay down (every call STORE_UNAVAILABLE, ping refused) until the URL is fixed.
      misconfigured = true
      client.disconnect(false)
    }
    // What the app logs gets the name, message and code only: a refused AUTH carries the password in `command.args`.
    const shared = shareableRedisError(err)
    quietly(() => { onError?.(shared) })
    markDown(shared)
  })
  client.on('ready', () => {
    refusalReconnect = false
    markUp()
  })
  // The first connection (or a reconnect before any outage was seen): a store call waits for it, as ping() does, and
  // is sent only once it is ready (never queued: a call its caller gave up on is never sent later). In an outage a
  // call fails at once.
  const readiness = sharedReadiness(client)
  waitForReadyWith(client, async (ms) => !down && await readiness.wait(ms, true))
  // A frozen Redis keeps its connection: a command that times out starts an outage, the next answer ends it. A
  // connection that has answered nothing for `connectTimeoutMs` while commands waited on it is replaced: one that a
  // proxy, a NAT or a failover dropped without a word will never answer, and its end may never be told. (Not ioredis's
  // `socketTimeout`: in ioredis 5 its timer outlives the connection it was set for, and cuts a healthy next one.) A new
  // connection's silence starts afresh: what ioredis sends on connecting (its ready check, its client info) is answered.
  let silentSince: number | undefined
  const watcher = (answered: boolean): void => {
    if (answered) {
      silentSince = undefined
      // Not an answer to a connection still being set up (a NOAUTH or WRONGPASS reply to its AUTH): not ready, not up.
      if (client.status === 'ready') markUp()
      return
    }
    markDown(unavailable('timed out'))
    if (client.status !== 'ready') return
    const now = performance.now()
    // The command that timed out was sent `commandTimeoutMs` ago, and nothing has been heard since.
    if (silentSince === undefined) silentSince = now - commandTimeoutMs
    else if (now - silentSince >= connectTimeoutMs) {
      silentSince = undefined
      // eslint-disable-next-line no-restricted-syntax -- the reason a socket is destroyed: ioredis reconnects, no caller sees it
      client.stream.destroy(new Error(`No answer on this connection for ${connectTimeoutMs} ms: replaced`))
    }
  }
  watchCommands(client, watcher)
  watchEveryCommand(client, watcher)

  const config = redisStoreConfig(client, storeOptions)
  const probe = defineScript(client, 'oktaMfaReadyProbe', 1, PROBE_LUA)
  const probeKey = `${storeOptions.prefix}ready`
  return {
    attempts: new RedisAttemptStore(client, storeOptions),
    revocations: new RedisRevocationStore(client, storeOptions),
    client,
    ping: async () => {
      // Through a reconnect too: a readiness probe may see Redis come back within its wait.
      if ((client.status === 'connecting' || client.status === 'connect') && !await readiness.wait(commandTimeoutMs, false)) {
        throw unavailable('not connected')
      }
      try {
        await run(config, () => probe(probeKey))
      } catch (err) {
        // A READONLY answer to another call is dropping the connection: the probe died with it, unanswered. Probe the
        // new connection, within the same wait, so that the reason is Redis's own answer (`READONLY`).
        if (!refusalReconnect || !await onceReady(client, commandTimeoutMs)) throw err
        await run(config, () => probe(probeKey))
      }
    },
    close: async () => {
      readiness.end()
      await closeClient(client, config)
    },
  }
}

async function closeClient (client: Redis, config: RedisStoreConfig): Promise<void> {
  if (client.status === 'end') return
  if (client.status === 'ready') {
    try {
      await run(config, () => client.quit())
      return
    } catch {
      // fall through: drop the connection instead
    }
  }
  client.disconnect()
}

function positiveInt (value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) throw new InvalidOptionError(`"${name}" option must be a positive integer of at most ${MAX_TIMER_MS}`)
  return value
}
