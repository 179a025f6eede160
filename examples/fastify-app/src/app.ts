// buildApp: the whole example as one Fastify instance. secure-session first (everything below reads the
// session), then form parsing, passport (local for the password, okta-mfa for the code), the gateway's
// GraphQL, and the pages. Starts the emulator in-process when no Okta org is given.
import formbody from '@fastify/formbody'
import { Authenticator } from '@fastify/passport'
import secureSession from '@fastify/secure-session'
import type { OktaClient } from '@okta-mfa/client'
import type { Emulator } from '@okta-mfa/emulator'
import { oktaMfaGateway } from '@okta-mfa/gateway'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import {
  AttemptLimiter, OktaMfaStrategy, requireMfaFastify, RememberedDevices, DEFAULT_REMEMBER_DAYS,
} from 'passport-okta-mfa'
import { Strategy as LocalStrategy } from 'passport-local'
import { securityHeadersAndAssets } from './assets.js'
import { isSignedIn, type AppContext } from './context.js'
import { requireCsrf } from './csrf.js'
import { RevocationCheck } from './revocation-check.js'
import { DEMO_ISSUER, type DemoAccounts, type DemoInfo } from './demo.js'
import { handleError } from './error-handler.js'
import { OktaDirectory, resolveOktaUser } from './directory.js'
import { safeLoggerOptions } from './logging.js'
import { accountRoutes } from './routes/account.js'
import { authRoutes } from './routes/auth.js'
import { enrollRoutes } from './routes/enroll.js'
import { mfaRoutes } from './routes/mfa.js'
import { connectOkta } from './okta-setup.js'
import { checkOptions, type BuildAppOptions } from './options.js'
import { fitSessionCookie, noteMfaStep, rememberReturnTo } from './session.js'
import { answerClientError, answerFrameworkError, ignoreUnknownExpectations, refuseBeforeRouting, refuseConnect } from './raw-refusals.js'
import { attemptAndRevocationStores } from './stores.js'
import { DEMO_USERS, UserStore, type AppUser } from './users.js'
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

/** What {@link buildApp} returns. Closing `app` also closes the client and the emulator it started. */
export interface BuiltApp {
  app: FastifyInstance
  /** The in-process emulator, when no `orgUrl` was given. */
  emulator: Emulator | undefined
  client: OktaClient
  users: UserStore
  /** The demo accounts (emulator only). */
  demo: DemoInfo | undefined
  /** The accounts the banner and the sign-in page list, with the emulator or an Okta org (undefined: custom seed). */
  accounts: DemoAccounts | undefined
}

/** Path of the gateway's GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql'

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

  const { client, emulator, demo, accounts } = await connectOkta(options, clock, seeds)

  // `true` is the proxy that connects, one hop: with Fastify's "every hop" the leftmost X-Forwarded-For, which the
  // client writes when a balancer appends to it, would be the end user's IP sent to Okta.
  const trust = options.trustProxy === true ? 1 : options.trustProxy ?? false
  const app = Fastify({
    logger: safeLoggerOptions(options.logger),
    bodyLimit: 65_536,
    trustProxy: typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust,
    // Fastify's default (0) turns Node's own limit off: a client that sends half a body would hold its socket forever.
    requestTimeout: 30_000,
    // Node checks that limit only every 30 s by default, and a stalled body against its 60 s `headersTimeout`.
    // A request without Host is refused, coded, by refuseBeforeRouting (Node's own answer is an empty 400).
    http: { connectionsCheckingInterval: 2_000, headersTimeout: 30_000, requireHostHeader: false },
    // What Node's parser refuses or its timeout cuts: a coded sentence rather than Fastify's uncoded JSON.
    clientErrorHandler: answerClientError,
    // A request arriving while the demo closes is answered, coded, by refuseBeforeRouting.
    return503OnClosing: false,
    // A malformed URL or an over-long path parameter, refused before routing where no hook runs.
    frameworkErrors: answerFrameworkError,
  })
  refuseConnect(app)
  ignoreUnknownExpectations(app)
  if (trust !== false) {
    // A scheme is case-insensitive (RFC 3986 §3.1): a proxy's "X-Forwarded-Proto: HTTPS" is https. The session cookie's
    // `secure: 'auto'` and the remembered-device cookie compare `request.protocol` with 'https', so the header is
    // lower-cased before anything reads it.
    app.addHook('onRequest', async (request) => {
      const proto = request.headers['x-forwarded-proto']
      if (typeof proto === 'string') request.headers['x-forwarded-proto'] = proto.toLowerCase()
    })
  }
  // Closing (SIGTERM): a request in flight is answered with Connection: close, so its keep-alive socket does not hold
  // the process for the 72 s keep-alive timeout; Node stops enforcing its request timeout once the server closes, so
  // whatever is still open 10 s later (a body that stalls) is cut.
  let closing = false
  refuseBeforeRouting(app, () => closing)
  app.addHook('preClose', async () => {
    closing = true
    setTimeout(() => { app.server.closeAllConnections() }, 10_000).unref()
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
    // Every outage page (Okta's, the sign-in store's, a sign-out not recorded) says "Try again in a minute": so does
    // the header a client or a monitor reads (RFC 9110 §10.2.3).
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60')
  })
  app.addHook('onClose', async () => {
    await client.close()
    await emulator?.close()
  })

  try {
    await register(app, { options, clock, users, emulator, demo, accounts, client })
  } catch (err) {
    await app.close()
    throw err
  }
  return { app, emulator, client, users, demo, accounts }
}

interface Parts {
  options: BuildAppOptions
  clock: () => number
  users: UserStore
  emulator: Emulator | undefined
  demo: DemoInfo | undefined
  accounts: DemoAccounts | undefined
  client: OktaClient
}

/** The session key the standalone gateway server reads its user from (`SESSION_USER_KEY` of @okta-mfa/gateway). */
export const GATEWAY_SESSION_USER_KEY = 'user'

async function register (app: FastifyInstance, { options, clock, users, emulator, demo, accounts, client }: Parts): Promise<void> {
  // Requests whose session passport read and the revocation check passed (see the preValidation hook below), and
  // those whose check the store could not answer (its error, thrown by requireLogin).
  const check = new RevocationCheck()
  // Before secure-session's own onSend hook (which encrypts the session): the passport user also goes to the session
  // key a standalone gateway server reads (`{ id, login }`), so one cookie serves this app and such a gateway; it
  // leaves with the user at logout, in the same response.
  app.addHook('onSend', async (request) => {
    // Only once passport has read the session and a revoked one was signed out: an answer sent before (a 405, 415, 400
    // or 413 refusal) has no user to go by, and a write would renew the cookie of a revoked session as it is. One the
    // store could not judge goes out as it came.
    check.holdBack(request)
    if (!check.passed(request)) return
    const session = request.session
    const user = request.user ?? undefined
    const current = session.get(GATEWAY_SESSION_USER_KEY)
    if (user === undefined) {
      if (current !== undefined) session.set(GATEWAY_SESSION_USER_KEY, undefined)
    } else if (current?.id !== user.id || current.login !== user.oktaLogin) {
      session.set(GATEWAY_SESSION_USER_KEY, { id: user.id, login: user.oktaLogin })
    }
    // Every MFA step's factor (the form's, enrollment's, the gateway's): the Security page's "last used" for each.
    if (user !== undefined) noteMfaStep(request)
    fitSessionCookie(request) // last: what the cookie will hold fits in it
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
  const { attemptStore, revocations } = attemptAndRevocationStores(app, options, clock)
  // "Remember this device": the cookie is signed with a key derived from the session key; "forget remembered devices"
  // is recorded in the revocation store (shared between instances when that store is).
  const directory = new OktaDirectory(client)
  const rememberDays = options.rememberDeviceDays ?? DEFAULT_REMEMBER_DAYS
  const devices = rememberDays === 0
    ? undefined
    : new RememberedDevices({
      secret: [options.sessionKey, ...options.oldSessionKeys ?? []],
      maxAgeDays: rememberDays,
      store: revocations,
      clock,
      // The Okta user bound in the session being served (the one its pages and GraphQL act on); by login without one.
      activeFactorIds: async (user, request) => request === undefined
        ? await directory.activeFactorIds(user as AppUser)
        : await directory.activeFactorIdsIn({ session: request.session, user }),
    })
  passport.use('okta-mfa', new OktaMfaStrategy<AppUser>({ client, resolveOktaUser, provision: true, store: attemptStore, clock, revocations }))
  await app.register(passport.initialize())
  await app.register(passport.secureSession())
  // Before any route, its own hooks (a CSRF refusal) or the gateway write the session: a revoked session is signed out
  // first (revocation-check.ts).
  app.addHook('preValidation', check.hook({ revocations, clock }))

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

  // The pages take forms and JSON only: Fastify's own text/plain parser would hand them a string with no fields (a
  // "field empty" answer, or a CSRF refusal, where 415 is meant). Removed after the gateway is registered: its scope
  // keeps its copy, and a text/plain post to /graphql stays the gateway's coded CSRF refusal.
  app.removeContentTypeParser('text/plain')
  securityHeadersAndAssets(app)

  // A revoked session was signed out before (the preValidation hook above); one the store could not judge is refused.
  const requireLogin = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isSignedIn(request)) {
      check.throwIfUnchecked(request)
      return
    }
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
    accounts,
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
    await reply.code(404).header('x-error-code', 'NOT_FOUND').type('text/html; charset=utf-8').send(notFoundPage())
  })
  app.setErrorHandler(handleError)
}
