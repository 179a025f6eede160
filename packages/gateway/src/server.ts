#!/usr/bin/env node
// The standalone gateway: a Fastify server with the plugin, secure-session sessions shared with the app that signs
// users in, health and readiness probes, and redacting logs. Run as `okta-mfa-gateway` with its config in the env.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import secureSession from '@fastify/secure-session'
import Fastify, { type FastifyInstance } from 'fastify'
import { loadServerConfig, ServerConfigError, type GatewayServerConfig } from './config.js'
import { gatewayLoggerOptions, genReqId } from './logging.js'
import type { OktaMfaGatewayOptions } from './options.js'
import { oktaMfaGateway } from './plugin.js'
import { cachedReadiness } from './readiness.js'
import { fastifyTrustProxy } from './trust-proxy.js'
import { RememberedDevices, resolveOktaUserId } from '@okta-mfa/core'
import { defaultResolveOktaUser } from './scope.js'

/** Session key under which the app that signs users in stores the user, in standalone mode. */
export const SESSION_USER_KEY = 'user'

/** How long /readyz waits for Okta before answering 503. */
export const READY_TIMEOUT_MS = 3000

/** Extras of {@link buildGatewayServer}, mostly for tests and embedding. */
export interface BuildGatewayServerOptions {
  /** Where logs go. @default stdout */
  logStream?: NodeJS.WritableStream
  /** Further plugin options (attemptStore, maxAttempts, dispatcher, resolveOktaUser, ...). */
  gateway?: Partial<OktaMfaGatewayOptions>
  /** Time source of the /readyz cache, ms. @default the gateway's `clock`, else Date.now */
  clock?: () => number
}

/**
 * Builds (without listening) the standalone gateway: secure-session with `config.sessionKey`, the gateway plugin
 * acting for the session's `user` (set by the app that signs users in), `GET /healthz` and `GET /readyz` (Okta
 * answers a one-user list with the API token, checked at most once per READY_CACHE_MS). X-Forwarded-* headers count
 * only with `config.trustProxy`.
 *
 * @example
 * ```ts
 * const app = await buildGatewayServer(loadServerConfig(process.env))
 * await app.listen({ port: 4000 })
 * ```
 */
export async function buildGatewayServer (config: GatewayServerConfig, options: BuildGatewayServerOptions = {}): Promise<FastifyInstance> {
  const logger = gatewayLoggerOptions({ level: config.logLevel, ...(options.logStream === undefined ? {} : { stream: options.logStream }) })
  const app = Fastify({ logger, genReqId, requestIdHeader: false, bodyLimit: 16_384, trustProxy: fastifyTrustProxy(config.trustProxy) })
  await app.register(secureSession, {
    key: config.sessionKey,
    cookieName: config.cookieName,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure },
  })
  await app.register(oktaMfaGateway, {
    orgUrl: config.orgUrl,
    ...(config.auth === undefined ? { token: config.token } : { auth: config.auth }),
    allowInsecureHttp: config.allowInsecureHttp,
    timeoutMs: config.timeoutMs,
    provision: config.provision,
    development: config.development,
    resolveUser: (request) => request.session.get(SESSION_USER_KEY) ?? null,
    ...(config.totpIssuer === undefined ? {} : { issuer: config.totpIssuer }),
    maxAttempts: config.maxAttempts,
    attemptWindowMs: config.attemptWindowMs,
    stepUpMaxAgeSeconds: config.stepUpMaxAgeSeconds,
    ...(config.rememberDeviceDays === 0 ? {} : { rememberedDevices: rememberedDevicesOf(app, config, options) }),
    ...options.gateway,
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  const readiness = cachedReadiness(async () => {
    const users = app.oktaMfaGateway.client.listUsers({ limit: 1 }, { signal: AbortSignal.timeout(READY_TIMEOUT_MS) })
    await users.next()
  }, options.clock ?? options.gateway?.clock ?? Date.now)
  app.get('/readyz', async (request, reply) => {
    const result = await readiness()
    if (result.ready) return { status: 'ready' }
    request.log.warn({ code: result.code }, 'okta not reachable')
    return await reply.code(503).send({ status: 'unavailable' })
  })
  return app
}

/**
 * "Remember this device" for the standalone server: cookies signed with a key derived from SESSION_KEY (so the app
 * that shares the session key honours the same cookies), bound to the user's active factors read from Okta.
 */
function rememberedDevicesOf (app: FastifyInstance, config: GatewayServerConfig, options: BuildGatewayServerOptions): RememberedDevices {
  const resolve = options.gateway?.resolveOktaUser ?? defaultResolveOktaUser
  const clock = options.gateway?.clock
  return new RememberedDevices({
    secret: config.sessionKey,
    maxAgeDays: config.rememberDeviceDays,
    ...(options.gateway?.revocations === undefined ? {} : { store: options.gateway.revocations }),
    ...(clock === undefined ? {} : { clock }),
    activeFactorIds: async (user) => {
      const client = app.oktaMfaGateway.client
      const id = await resolveOktaUserId(client, resolve, user, undefined, { provision: config.provision })
      return (await client.listFactors(id)).filter((f) => f.status === 'ACTIVE').map((f) => f.id)
    },
  })
}

/** Reads the environment, starts the server and closes it on SIGINT/SIGTERM. Exits 1 with a message on bad config. */
export async function main (env: NodeJS.ProcessEnv = process.env): Promise<void> {
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
  await app.listen({ port: config.port, host: config.host })
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

if (isMain()) {
  main().catch((err: unknown) => {
    process.stderr.write(`okta-mfa-gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
