// buildApp: the whole example as one Fastify instance. secure-session first (everything below reads the
// session), then form parsing, passport (local for the password, okta-mfa for the code), the gateway's
// GraphQL, and the pages. Starts the emulator in-process when no Okta org is given.
import { readFileSync } from 'node:fs'
import formbody from '@fastify/formbody'
import { Authenticator } from '@fastify/passport'
import secureSession from '@fastify/secure-session'
import { createOktaClient, type OktaClient, type OktaClientOptions } from '@okta-mfa/client'
import { createRedisStores } from '@okta-mfa/core'
import { startEmulator, type Emulator, type EmulatorOptions } from '@okta-mfa/emulator'
import { oktaMfaGateway } from '@okta-mfa/gateway'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import {
  AttemptLimiter, MemoryAttemptStore, OktaMfaStrategy, requireMfaFastify, MemoryRevocationStore, isSessionRevoked, RememberedDevices,
  DEFAULT_REMEMBER_DAYS, type AttemptStore, type RevocationStore,
} from 'passport-okta-mfa'
import { Strategy as LocalStrategy } from 'passport-local'
import { isSignedIn, type AppContext } from './context.js'
import { requireCsrf } from './csrf.js'
import { DEMO_ISSUER, demoSeed, HIDDEN_DEMO_PASSWORD, type DemoInfo } from './demo.js'
import { handleError } from './error-handler.js'
import { OktaDirectory, resolveOktaUser } from './directory.js'
import { safeLoggerOptions } from './logging.js'
import { accountRoutes } from './routes/account.js'
import { authRoutes } from './routes/auth.js'
import { enrollRoutes } from './routes/enroll.js'
import { mfaRoutes } from './routes/mfa.js'
import { registerDemoServiceApp, type EmulatorAuth } from './okta-auth.js'
import { rememberReturnTo } from './session.js'
import { DEMO_USERS, UserStore, type AppUser, type UserSeed } from './users.js'
import { csrfPage, notFoundPage } from './views/errors.js'

declare module 'fastify' {
  // The user @fastify/passport puts on `request.user`.
  interface PassportUser extends AppUser {}
}

declare module '@fastify/secure-session' {
  interface SessionData {
    /** The signed-in user as a standalone gateway server reads it (mirrors passport's user). */
    user: { id: string, login: string }
  }
}

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** A real Okta org (https). Without it the app starts the emulator in-process. */
  orgUrl?: string
  /** The org's SSWS API token; with `orgUrl`, this or `auth`. */
  token?: string
  /** How to authorize to the org, with `orgUrl` (instead of `token`): the client's `auth` option (SSWS token or OAuth 2.0 settings). */
  auth?: OktaClientOptions['auth']
  /**
   * Without `orgUrl`: how the app talks to the in-process emulator. `'oauth'` registers a service app there at start
   * (a fresh key pair, DPoP required) and every Okta call of the app goes over OAuth 2.0 with DPoP. @default 'ssws'
   */
  emulatorAuth?: EmulatorAuth
  /** Accept an `http:` orgUrl (an emulator on loopback started apart). @default false */
  allowInsecureHttp?: boolean
  /** Options for the in-process emulator (port 0 and the demo seed unless given). */
  emulator?: Omit<EmulatorOptions, 'clock'>
  /** 32-byte key of the session cookie (@fastify/secure-session): new cookies are encrypted with it. */
  sessionKey: Buffer
  /** Older 32-byte keys that still decrypt cookies (key rotation), newest first. @default [] */
  oldSessionKeys?: readonly Buffer[]
  /**
   * Redis for the attempt counters and the session revocations, shared by every instance and by standalone gateways
   * given the same URL (`redis://…`). The app opens the client and closes it with itself. @default in this process
   */
  redisUrl?: string
  /** Time source in ms for the emulator, the strategy, the guards and the gateway (tests move it). @default Date.now */
  clock?: () => number
  /** Fastify's logger option. @default false */
  logger?: FastifyServerOptions['logger']
  /** The app's accounts. @default DEMO_USERS */
  users?: readonly UserSeed[]
  /**
   * Show the demo accounts' passwords on the sign-in page and in `demo` (main.ts prints them). Off when the app is
   * reachable from other machines: its passwords are then DEMO_PASSWORD or random, and never shown. @default true
   */
  showDemoPasswords?: boolean
  /**
   * With `showDemoPasswords: false`, what the sign-in page and the banner say instead of the password: where it
   * comes from (DEMO_PASSWORD) or that it is random. @default HIDDEN_DEMO_PASSWORD
   */
  hiddenPasswordNote?: string
  /** `Secure` attribute of the session cookie; `'auto'` sets it on https requests. @default 'auto' */
  cookieSecure?: boolean | 'auto'
  /** Lifetime of "Remember this device", in days (0 turns the checkbox off). @default 30 */
  rememberDeviceDays?: number
  /**
   * Honour X-Forwarded-Proto/For from a TLS-terminating proxy (`true`, a hop count, or the proxy's addresses/CIDRs),
   * so that `'auto'` cookies are Secure behind it. Off by default: forwarded headers are ignored.
   * @default false
   */
  trustProxy?: boolean | number | string
}

/** What {@link buildApp} returns. Closing `app` also closes the client and the emulator it started. */
export interface BuiltApp {
  app: FastifyInstance
  /** The in-process emulator, when no `orgUrl` was given. */
  emulator: Emulator | undefined
  client: OktaClient
  users: UserStore
  /** The demo accounts (emulator only). */
  demo: DemoInfo | undefined
}

/** Path of the gateway's GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql'

const ASSETS = {
  'app.css': 'text/css; charset=utf-8',
  'enroll.js': 'text/javascript; charset=utf-8',
  'countdown.js': 'text/javascript; charset=utf-8',
  'favicon.ico': 'image/x-icon',
} as const

/** Pages only load their own scripts and styles; the QR code is a data: image. */
const CSP = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

function checkOptions (options: BuildAppOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('buildApp needs an options object')
  if (!Buffer.isBuffer(options.sessionKey) || options.sessionKey.length !== 32) throw new TypeError('"sessionKey" option must be a Buffer of 32 bytes')
  const old = options.oldSessionKeys
  if (old !== undefined && (!Array.isArray(old) || !old.every((key) => Buffer.isBuffer(key) && key.length === 32))) {
    throw new TypeError('"oldSessionKeys" option must be an array of 32-byte Buffers')
  }
  if (options.redisUrl !== undefined && (typeof options.redisUrl !== 'string' || !/^rediss?:\/\//.test(options.redisUrl))) {
    throw new TypeError('"redisUrl" option must be a redis:// or rediss:// URL')
  }
  if (options.token !== undefined && options.auth !== undefined) throw new TypeError('"token" and "auth" options are exclusive: give one way to authorize')
  if ((options.orgUrl === undefined) !== (options.token === undefined && options.auth === undefined)) {
    throw new TypeError('"orgUrl" and "token" (or "auth") options go together: give both or neither')
  }
  if (options.emulatorAuth !== undefined && (options.orgUrl !== undefined || !['ssws', 'oauth'].includes(options.emulatorAuth))) {
    throw new TypeError('"emulatorAuth" option must be \'ssws\' or \'oauth\', and only without "orgUrl" (the in-process emulator)')
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" option must be a function')
  const days = options.rememberDeviceDays
  if (days !== undefined && (typeof days !== 'number' || !Number.isFinite(days) || days < 0 || days > 400)) throw new TypeError('"rememberDeviceDays" option must be a number of days from 0 to 400')
  const trust = options.trustProxy
  if (trust !== undefined && typeof trust !== 'boolean' && typeof trust !== 'string' && !(typeof trust === 'number' && Number.isInteger(trust) && trust >= 0)) {
    throw new TypeError('"trustProxy" option must be a boolean, a hop count or proxy addresses')
  }
}

/**
 * Builds the example app (not listening yet). Without `orgUrl` it starts the emulator seeded with the demo users.
 * @example
 * const { app, emulator } = await buildApp({ sessionKey: randomBytes(32) })
 * await app.listen({ port: 3000 })
 */

export async function buildApp (options: BuildAppOptions): Promise<BuiltApp> {
  checkOptions(options)
  const clock = options.clock ?? Date.now
  const seeds = options.users ?? DEMO_USERS
  const users = await UserStore.create(seeds)

  let emulator: Emulator | undefined
  let demo: DemoInfo | undefined
  let client: OktaClient
  if (options.orgUrl === undefined) {
    const seeded = options.emulator?.seed === undefined ? demoSeed(seeds) : undefined
    demo = seeded === undefined || options.showDemoPasswords !== false
      ? seeded?.info
      : { ...seeded.info, accounts: seeded.info.accounts.map((a) => ({ ...a, password: options.hiddenPasswordNote ?? HIDDEN_DEMO_PASSWORD })) }
    emulator = await startEmulator({
      port: 0,
      issuer: DEMO_ISSUER,
      ...options.emulator,
      ...(seeded === undefined ? {} : { seed: seeded.seed }),
      ...(options.clock === undefined ? {} : { clock }),
    })
    // With 'oauth' the app never holds the emulator's API token: every call it makes carries a DPoP-bound token.
    const auth = options.emulatorAuth === 'oauth' ? registerDemoServiceApp(emulator) : emulator.token
    client = createOktaClient({ orgUrl: emulator.url, auth, allowInsecureHttp: true })
  } else {
    client = createOktaClient({
      orgUrl: options.orgUrl,
      ...(options.auth === undefined ? { token: options.token! } : { auth: options.auth }),
      allowInsecureHttp: options.allowInsecureHttp ?? false,
    })
  }

  const trust = options.trustProxy ?? false
  const app = Fastify({ logger: safeLoggerOptions(options.logger), bodyLimit: 65_536, trustProxy: typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust })
  app.addHook('onClose', async () => {
    await client.close()
    await emulator?.close()
  })

  try {
    await register(app, { options, clock, users, emulator, demo, client })
  } catch (err) {
    await app.close()
    throw err
  }
  return { app, emulator, client, users, demo }
}

interface Parts {
  options: BuildAppOptions
  clock: () => number
  users: UserStore
  emulator: Emulator | undefined
  demo: DemoInfo | undefined
  client: OktaClient
}

/** The session key the standalone gateway server reads its user from (`SESSION_USER_KEY` of @okta-mfa/gateway). */
export const GATEWAY_SESSION_USER_KEY = 'user'

/** Attempt counters and revocations: in Redis with `redisUrl` (closed with the app), else in this process. */
function stores (app: FastifyInstance, options: BuildAppOptions, clock: () => number): { attemptStore: AttemptStore, revocations: RevocationStore } {
  if (options.redisUrl === undefined) return { attemptStore: new MemoryAttemptStore({ clock }), revocations: new MemoryRevocationStore({ clock }) }
  // Once per outage, not at every reconnect attempt.
  const redis = createRedisStores(options.redisUrl, {
    onStatusChange: (status, err) => {
      if (status === 'up') app.log.info('redis reachable again')
      else app.log.error({ err: { code: (err as { code?: unknown } | undefined)?.code, message: err?.message } }, 'redis unreachable: passcode attempts are refused')
    },
  })
  app.addHook('onClose', async () => { await redis.close() })
  return { attemptStore: redis.attempts, revocations: redis.revocations }
}

async function register (app: FastifyInstance, { options, clock, users, emulator, demo, client }: Parts): Promise<void> {
  // Before secure-session's own onSend hook (which encrypts the session): the passport user also goes to the session
  // key a standalone gateway server reads (`{ id, login }`), so one cookie serves this app and such a gateway; it
  // leaves with the user at logout, in the same response.
  app.addHook('onSend', async (request) => {
    const session = (request as { session?: FastifyRequest['session'] }).session
    if (session === undefined) return
    const user = request.user ?? undefined
    const current = session.get(GATEWAY_SESSION_USER_KEY)
    if (user === undefined) {
      if (current !== undefined) session.set(GATEWAY_SESSION_USER_KEY, undefined)
    } else if (current?.id !== user.id || current.login !== user.oktaLogin) {
      session.set(GATEWAY_SESSION_USER_KEY, { id: user.id, login: user.oktaLogin })
    }
  })
  await app.register(secureSession, {
    key: [options.sessionKey, ...options.oldSessionKeys ?? []],
    cookieName: 'session',
    expiry: 8 * 60 * 60,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: options.cookieSecure ?? 'auto' },
  })
  await app.register(formbody)

  // One Authenticator per app (not the module's default instance), so two apps in one process never share strategies.
  const passport = new Authenticator()
  passport.registerUserSerializer(async (user: AppUser) => user.id)
  passport.registerUserDeserializer(async (id: string) => users.get(id) ?? null)
  passport.use('local', new LocalStrategy((username, password, done) => {
    users.verify(username, password).then((user) => { done(null, user ?? false) }, done)
  }))
  // The strategy and the gateway count passcode attempts in the same store, so the form and GraphQL share one cap.
  // Logout and "sign out of all sessions" revoke in `revocations`; the strategy, the guard and the gateway refuse
  // revoked sessions. With `redisUrl` both live in Redis, shared with every instance.
  const { attemptStore, revocations } = stores(app, options, clock)
  // "Remember this device": the cookie is signed with a key derived from the session key; "forget remembered devices"
  // is recorded in the revocation store (shared between instances when that store is).
  const directory = new OktaDirectory(client)
  const rememberDays = options.rememberDeviceDays ?? DEFAULT_REMEMBER_DAYS
  const devices = rememberDays === 0
    ? undefined
    : new RememberedDevices({
      secret: options.sessionKey,
      maxAgeDays: rememberDays,
      store: revocations,
      clock,
      activeFactorIds: async (user) => (await directory.factors(user as AppUser)).filter((f) => f.status === 'ACTIVE').map((f) => f.id),
    })
  passport.use('okta-mfa', new OktaMfaStrategy<AppUser>({ client, resolveOktaUser, provision: true, store: attemptStore, clock, revocations }))
  await app.register(passport.initialize())
  await app.register(passport.secureSession())

  await app.register(oktaMfaGateway, {
    client,
    resolveUser: (request: FastifyRequest) => request.user ?? null,
    resolveOktaUser,
    provision: true,
    attemptStore,
    revocations,
    issuer: DEMO_ISSUER,
    clock,
    path: GRAPHQL_PATH,
    rememberedDevices: devices,
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'same-origin')
    reply.header('x-frame-options', 'DENY')
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', CSP)
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
    }
  })

  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(new URL(`../public/${name}`, import.meta.url)) }]))
  app.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name)
    if (asset === undefined) return await reply.code(404).type('text/plain').send('not found')
    await reply.header('cache-control', 'no-cache').type(asset.type).send(asset.body)
  })

  app.get('/favicon.ico', async (request, reply) => {
    const icon = assets.get('favicon.ico')!
    await reply.header('cache-control', 'public, max-age=86400').type(icon.type).send(icon.body)
  })

  const requireLogin = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isSignedIn(request) && !await isSessionRevoked(request, revocations, { clock })) return
    // /login then says "Sign in to continue". Not /mfa itself: after the code the person would land on it again.
    if (request.method === 'GET' && !/^\/mfa(\?|$)/.test(request.url)) rememberReturnTo(request, request.url)

    await reply.redirect('/login', 303)
  }
  const ctx: AppContext = {
    passport,
    client,
    directory,
    devices,
    users,
    emulator,
    demo,
    clock,
    graphqlPath: GRAPHQL_PATH,
    loginLimiter: new AttemptLimiter({ clock, maxAttempts: 10, windowMs: 15 * 60_000 }),
    mfaLimiter: new AttemptLimiter({ clock, store: attemptStore }),
    revocations,
    csrf: requireCsrf(() => csrfPage()),
    requireLogin,
    requireMfa: requireMfaFastify({ redirectTo: '/mfa', loginRedirectTo: '/login', clock, revocations, rememberedDevices: devices }),
  }
  authRoutes(app, ctx)
  mfaRoutes(app, ctx)
  enrollRoutes(app, ctx)
  accountRoutes(app, ctx)

  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).type('text/html; charset=utf-8').send(notFoundPage())
  })
  app.setErrorHandler(handleError)
}
