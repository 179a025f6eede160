#!/usr/bin/env node
// The standalone gateway: a Fastify server with the plugin, secure-session sessions shared with the app that signs
// users in, health and readiness probes, and redacting logs. Run as `okta-mfa-gateway` with its config in the env.
import { realpathSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import type {} from '@fastify/secure-session' // its types: request.session and the decorators, as gatewaySessionCookie provides them
import Fastify, { type FastifyInstance } from 'fastify'
import { createRedisStores, MemoryAttemptStore, MemoryRevocationStore, type RedisStores, type RevocationStore } from '@okta-mfa/core'
import { loadServerConfig, ServerConfigError, type GatewayServerConfig } from './config.js'
import { REQUEST_ID_HEADER, gatewayLoggerOptions, genReqId, pathOnly, requestChildLogger } from './logging.js'
import { GATEWAY_DEFAULTS, InvalidOptionError, type OktaMfaGatewayOptions } from './options.js'
import { oktaMfaGateway, refuseMethod } from './plugin.js'
import { cachedReadiness, oktaFailureMessage, STORE_READY_CACHE_MS } from './readiness.js'
import { gatewaySessionCookie } from './session-cookie.js'
import { fastifyTrustProxy } from './trust-proxy.js'
import { answerClientError, answerFrameworkError, closeConnectionsWhenClosing, ignoreUnknownExpectations, refuseConnect } from './raw-refusals.js'
import { answeredArguments } from './server-args.js'
import { rememberedDevicesOf } from './server-devices.js'

/** Session key under which the app that signs users in stores the user, in standalone mode. */
export const SESSION_USER_KEY = 'user'

/** How long /readyz waits for Okta before answering 503. */
export const READY_TIMEOUT_MS = 3000

/**
 * The deadline shared by the Okta calls of one GraphQL request on the standalone server: the plugin's default
 * (5000 ms), or OKTA_TIMEOUT_MS when that is longer, so that one call may take as long as OKTA_TIMEOUT_MS allows.
 *
 * @example
 * ```ts
 * requestDeadlineMs({ timeoutMs: 10_000 }) // 10000
 * ```
 */
function requestDeadlineMs (config: Pick<GatewayServerConfig, 'timeoutMs'>): number {
  return Math.max(GATEWAY_DEFAULTS.requestTimeoutMs, config.timeoutMs)
}

/** Extras of {@link buildGatewayServer}, mostly for tests and embedding. */
export interface BuildGatewayServerOptions {
  /** Where logs go. @default stdout */
  logStream?: NodeJS.WritableStream | undefined
  /** Further plugin options (attemptStore, maxAttempts, dispatcher, resolveOktaUser, ...). */
  gateway?: Partial<OktaMfaGatewayOptions> | undefined
  /** Time source of the /readyz cache, ms. @default the gateway's `clock`, else Date.now */
  clock?: (() => number) | undefined
  /**
   * Shared stores to use instead of the ones `config.redisUrl` would create (the caller keeps owning them). Without
   * both: Redis stores from `config.redisUrl` (closed with the server), else one-process memory stores.
   */
  stores?: Pick<RedisStores, 'attempts' | 'revocations' | 'ping'> | undefined
}

/** Every option of {@link buildGatewayServer}. */
const SERVER_OPTIONS: Record<keyof BuildGatewayServerOptions, true> = { logStream: true, gateway: true, clock: true, stores: true }

/** The server's stores, and how to check and close them. */
interface ServerStores {
  attempts: NonNullable<OktaMfaGatewayOptions['attemptStore']>
  revocations: NonNullable<OktaMfaGatewayOptions['revocations']>
  ping: (() => Promise<void>) | undefined
  close: () => Promise<void>
}

function serverStores (config: GatewayServerConfig, options: BuildGatewayServerOptions, app: FastifyInstance): ServerStores {
  if (options.stores !== undefined) return { ...options.stores, close: async () => {} }
  if (config.redisUrl === undefined) {
    const clock = options.gateway?.clock
    const opts = clock === undefined ? {} : { clock }
    return { attempts: new MemoryAttemptStore(opts), revocations: new MemoryRevocationStore(opts), ping: undefined, close: async () => {} }
  }
  // A Redis outage is logged once when it starts and once when it ends, not at every reconnect attempt; never the URL.
  let closing = false // a server closing (or failing to listen) is not a Redis outage
  const redis = createRedisStores(config.redisUrl, {
    onStatusChange: (status, err) => {
      if (closing) return
      if (status === 'up') app.log.info('redis reachable again')
      else app.log.error({ err: { code: (err as { code?: unknown } | undefined)?.code, message: err?.message } }, 'redis unreachable: passcode attempts are refused (STORE_UNAVAILABLE)')
    },
  })
  return { attempts: redis.attempts, revocations: redis.revocations, ping: redis.ping, close: async () => { closing = true; await redis.close() } }
}

/**
 * Builds (without listening) the standalone gateway: sessions in @fastify/secure-session's cookie format with
 * `config.sessionKeys` (the first encrypts, any decrypts; see session-cookie.ts), the gateway plugin acting for the session's `user` (set by the app that signs users in), attempt
 * counters and session revocations in Redis with `config.redisUrl` (else in this process), `GET /healthz` and
 * `GET /readyz` (Okta answers a one-user list with the API token, checked at most once per READY_CACHE_MS; and Redis
 * answers a PING, at most once per STORE_READY_CACHE_MS). X-Forwarded-* headers count only with `config.trustProxy`.
 *
 * @example
 * ```ts
 * const app = await buildGatewayServer(loadServerConfig(process.env))
 * await app.listen({ port: 4000 })
 * ```
 */
export async function buildGatewayServer (config: GatewayServerConfig, options: BuildGatewayServerOptions = {}): Promise<FastifyInstance> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('buildGatewayServer options must be an object')
  // A misspelt "stores" would quietly give each instance its own memory stores.
  const unknown = Object.keys(options).find((key) => !Object.hasOwn(SERVER_OPTIONS, key))
  if (unknown !== undefined) throw new InvalidOptionError(`${JSON.stringify(unknown.slice(0, 64))} is not an option of buildGatewayServer`)
  const logger = gatewayLoggerOptions({ level: config.logLevel, ...(options.logStream === undefined ? {} : { stream: options.logStream }) })
  const app = Fastify({
    logger, genReqId, requestIdHeader: false, bodyLimit: 16_384, trustProxy: fastifyTrustProxy(config.trustProxy),
    clientErrorHandler: answerClientError,
    // A URL the router cannot read (a malformed escape): the coded 400, not Fastify's answer quoting the URL.
    frameworkErrors: answerFrameworkError,
    // Answered by closeConnectionsWhenClosing's hook, coded, rather than by Fastify before any hook runs.
    return503OnClosing: false,
    // Fastify's default (0) turns Node's own limit off: a client that sends half a body would hold its socket forever.
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    // Node checks that limit only every 30 s by default, and a stalled body against its 60 s `headersTimeout`: a
    // stalled request was held 60 to 90 s. Both brought to the limit, checked every 2 s.
    // Node answers an HTTP/1.1 request without Host with an empty 400 that no handler sees: refused, coded, by the
    // same hook.
    http: { connectionsCheckingInterval: CONNECTIONS_CHECK_MS, headersTimeout: REQUEST_RECEIVE_TIMEOUT_MS, requireHostHeader: false },
  })
  // Our own logger and request ids: the id can be bound without pino's redaction pass (see requestChildLogger).
  app.setChildLoggerFactory(requestChildLogger)
  refuseConnect(app)
  ignoreUnknownExpectations(app)
  closeConnectionsWhenClosing(app)
  const stores = serverStores(config, options, app)
  app.addHook('onClose', async () => { await stores.close() })
  try {
    await registerAll(app, config, options, stores)
  } catch (err) {
    // A live Redis client would keep the process from exiting (closing twice is harmless).
    await stores.close().catch(() => {})
    await app.close().catch(() => {})
    throw err
  }
  return app
}

/** How long a client may take to send a whole request (headers and body, at most 16 KiB), in ms. */
const REQUEST_RECEIVE_TIMEOUT_MS = 30_000
/** How often Node looks for requests past that limit, in ms: a stalled one is answered 408 within 30 to 32 s. */
const CONNECTIONS_CHECK_MS = 2_000

/**
 * Methods Fastify does not route at all (WebDAV's PROPFIND, SEARCH, ...) never reach the gateway's routes: on its path
 * they get the same coded 405 as every other method but POST; elsewhere a 404 in Fastify's own form (no query string).
 */
function refuseUnroutedMethods (app: FastifyInstance): void {
  const graphqlPath = app.oktaMfaGateway.config.path
  app.setNotFoundHandler((request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id)
    const at = request.url.indexOf('?')
    const path = at === -1 ? request.url : request.url.slice(0, at)
    if (path === graphqlPath) {
      refuseMethod(request, reply)
      return reply
    }
    // As logged: an absolute-form target's user name and password are not repeated to the client either.
    return reply.code(404).send({ message: `Route ${request.method}:${pathOnly(path) ?? ''} not found`, error: 'Not Found', statusCode: 404 })
  })
}

async function registerAll (app: FastifyInstance, config: GatewayServerConfig, options: BuildGatewayServerOptions, stores: ServerStores): Promise<void> {
  const keys = config.sessionKeys !== undefined && config.sessionKeys.length > 0 ? config.sessionKeys : [config.sessionKey]
  await app.register(gatewaySessionCookie, {
    key: keys,
    cookieName: config.cookieName,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure },
    expiry: config.sessionExpirySeconds,
  })
  await app.register(oktaMfaGateway, {
    orgUrl: config.orgUrl,
    ...(config.auth === undefined ? { token: config.token } : { auth: config.auth }),
    allowInsecureHttp: config.allowInsecureHttp,
    timeoutMs: config.timeoutMs,
    requestTimeoutMs: requestDeadlineMs(config),
    provision: config.provision,
    development: config.development,
    resolveUser: (request) => request.session.get(SESSION_USER_KEY) ?? null,
    ...(config.totpIssuer === undefined ? {} : { issuer: config.totpIssuer }),
    maxAttempts: config.maxAttempts,
    attemptWindowMs: config.attemptWindowMs,
    stepUpMaxAgeSeconds: config.stepUpMaxAgeSeconds,
    ...(config.rememberDeviceDays === 0 ? {} : { rememberedDevices: rememberedDevicesOf(app, config, options, stores.revocations) }),
    attemptStore: stores.attempts,
    revocations: stores.revocations,
    ...options.gateway,
  })
  refuseUnroutedMethods(app)
  // The request id is echoed here too, and the Okta check a /readyz starts carries it (README: "on every call").
  app.get('/healthz', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id)
    return { status: 'ok' }
  })
  const oktaReady = cachedReadiness(async (requestId) => {
    // One Okta call per check: a 429 is the answer (rate limited), not something to wait out and retry.
    const users = app.oktaMfaGateway.client.listUsers({ limit: 1 }, { signal: AbortSignal.timeout(READY_TIMEOUT_MS), requestId, waitOnRateLimit: false })
    await users.next()
  }, options.clock ?? options.gateway?.clock ?? Date.now)
  const ping = stores.ping
  // Redis's outage is real time, whatever clock the tests give Okta's cache: the monotonic clock.
  const storeReady = ping === undefined ? undefined : cachedReadiness(ping, () => performance.now(), STORE_READY_CACHE_MS)
  // A failed check is logged once, by the request whose check it was: the probe is unauthenticated, and hits answered
  // from the cache (the same result) would otherwise write a warning each, as fast as anyone sends them.
  const logged = new WeakSet<object>()
  const firstTime = (result: object): boolean => {
    if (logged.has(result)) return false
    logged.add(result)
    return true
  }
  app.get('/readyz', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id)
    const [okta, store] = await Promise.all([oktaReady(request.id), storeReady?.()])
    if (okta.ready && store?.ready !== false) return { status: 'ready' }
    const failed: string[] = []
    if (!okta.ready) {
      failed.push('okta')
      if (firstTime(okta)) request.log.warn({ code: okta.code }, oktaFailureMessage(okta))
    }
    if (store !== undefined && !store.ready) {
      failed.push('store')
      if (firstTime(store)) request.log.warn({ code: store.code, reason: store.reason }, 'store not ready')
    }
    return await reply.code(503).send({ status: 'unavailable', failed })
  })
}


/**
 * Reads the environment, starts the server and closes it on SIGINT/SIGTERM. Exits 1 with a message on bad config;
 * `--help` (or `-h`) prints the usage and exits 0, any other argument exits 2 (a `--port 4001` was ignored silently).
 */
export async function main (env: NodeJS.ProcessEnv = process.env, args: readonly string[] = []): Promise<void> {
  if (answeredArguments(args)) return
  let config: GatewayServerConfig
  try {
    config = loadServerConfig(env)
  } catch (err) {
    if (!(err instanceof ServerConfigError)) throw err
    process.stderr.write(`${err.message}\n`)
    process.exitCode = 1
    return
  }
  const app = await buildGatewayServer(config)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { app.close().catch((err: unknown) => { app.log.error({ err }, 'close failed') }) })
  }
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close().catch(() => {}) // its Redis connection would keep the process alive
    const why = listenFailure(err)
    if (why === undefined) throw err
    process.stderr.write(`okta-mfa-gateway failed to start: cannot listen on ${config.host} port ${config.port}: ${why}\n`)
    process.exitCode = 1
  }
}

/** Why the server cannot listen, naming the variable to change; undefined for an error that is not about them. */
function listenFailure (err: unknown): string | undefined {
  switch ((err as { code?: unknown } | null)?.code) {
    case 'EADDRINUSE': return 'the port is already in use (set PORT)'
    case 'EACCES': return 'the port needs privileges (set PORT to 1024 or above)'
    case 'EADDRNOTAVAIL': return 'HOST is not an address of this machine'
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_FAIL': return 'HOST is not a name this machine can resolve'
    default: return undefined
  }
}

function isMain (): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href
  } catch {
    return false
  }
}

/** Runs {@link main} as a program: an unexpected failure is one line on stderr and exit status 1. */
export function runMain (): void {
  main(process.env, process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`okta-mfa-gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}

if (isMain()) runMain()
