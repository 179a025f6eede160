// An Express 5 app with its own password login (passport-local over an in-memory user list) that adds
// the Okta TOTP step with passport-okta-mfa: one strategy, one guard, two routes.
import express, { type ErrorRequestHandler, type Express, type Request } from 'express'
import session, { type Store } from 'express-session'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import {
  AttemptLimiter, DEFAULT_REMEMBER_DAYS, MemoryAttemptStore, MemoryRevocationStore, OktaMfaStrategy, RememberedDevices, clearMfa, getMfaState,
  isSafeReturnTo, requireMfa, resolveOktaUserId, revokeSession, startSession,
  type AttemptStore, type MfaOktaClient, type OktaMfaStrategyOptions, type ResolveOktaUser, type RevocationStore,
} from 'passport-okta-mfa'
import { csrfToken, requireCsrf } from './csrf.js'
import { checkLoginInput } from 'passport-okta-mfa'
import { accountPage, layout, loginPage, mfaPage } from './pages.js'
import { UserDirectory, type AppUser, type UserSeed } from './users.js'

/** How the app reaches Okta: an existing client, an org URL and API token, or an org URL and the client's `auth` (OAuth 2.0). */
export type OktaConnection =
  | { client: MfaOktaClient }
  | { orgUrl: string, token: string, allowInsecureHttp?: boolean, timeoutMs?: number }
  | { orgUrl: string, auth: NonNullable<OktaMfaStrategyOptions['auth']>, allowInsecureHttp?: boolean, timeoutMs?: number }

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Okta (or the emulator). */
  okta: OktaConnection
  /** The app's users; `email` is their Okta login. */
  users: readonly UserSeed[]
  /** Signs the session cookie; at least 32 characters. */
  sessionSecret: string
  /** Ask for a new code when the last one is older than this (step-up). @default no limit */
  mfaMaxAgeSeconds?: number
  /** Time source in ms, for the strategy and the guard (tests inject one). @default Date.now */
  clock?: () => number
  /** Create missing Okta users on first MFA (without credentials). @default false */
  provision?: boolean
  /** Send the session cookie over https only. @default false (the demo runs on http://localhost) */
  secureCookie?: boolean
  /** Demo only: a line of HTML on the MFA page saying how to get a code. */
  demoHint?: string
  /** Password attempts per account per 15 minutes before sign-in is paused for it. @default 10 */
  maxLoginAttempts?: number
  /**
   * Where passcode attempts are counted: share one store (Redis) between instances so that a user gets the same
   * number of attempts in total, not per instance. @default a MemoryAttemptStore (this process only)
   */
  attemptStore?: AttemptStore
  /** Where logouts are remembered, so that a copy of a logged-out session is refused on every instance. @default a MemoryRevocationStore */
  revocations?: RevocationStore
  /** The express-session store (connect-redis to share sessions between instances). @default express-session's MemoryStore */
  sessionStore?: Store
  /**
   * Lifetime of "Remember this device" in days; 0 turns the checkbox off. Never offered with `mfaMaxAgeSeconds`: a
   * step-up asks for a code every time. @default DEFAULT_REMEMBER_DAYS (30)
   */
  rememberDeviceDays?: number
}

/** The app and what to close with it. */
export interface BuiltApp {
  app: Express
  strategy: OktaMfaStrategy<AppUser, Request>
  /** Closes the Okta client the strategy created (not a given one). */
  close: () => Promise<void>
}

const UNAVAILABLE = new Set(['OKTA_TIMEOUT', 'OKTA_CONNECTION', 'OKTA_INVALID_RESPONSE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'STORE_UNAVAILABLE'])

/** Okta unreachable, slow, garbled or failing with a 5xx: the user may retry later. */
function isUpstreamDown (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, status } = err as { code?: unknown, status?: unknown }
  return (typeof code === 'string' && UNAVAILABLE.has(code)) || (code === 'OKTA_API_ERROR' && typeof status === 'number' && status >= 500)
}

/** "Remember this device", unless turned off or the app asks for a code at every step-up. */
function rememberedDevicesOf (options: BuildAppOptions, store: RevocationStore, activeFactorIds: (user: unknown) => Promise<string[]>): RememberedDevices | undefined {
  const days = options.rememberDeviceDays ?? DEFAULT_REMEMBER_DAYS
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0 || days > 400) throw new TypeError('"rememberDeviceDays" option must be a number of days from 0 to 400')
  if (days === 0 || options.mfaMaxAgeSeconds !== undefined) return undefined
  // Signed with the session secret (at least 32 characters), bound to the user's active factors.
  return new RememberedDevices({ secret: options.sessionSecret, maxAgeDays: days, store, activeFactorIds, ...(options.clock === undefined ? {} : { clock: options.clock }) })
}

function lastMessage (req: Request): string | undefined {
  const s = req.session as unknown as { messages?: string[] }
  const message = s.messages?.at(-1)
  delete s.messages
  return message
}

/**
 * Builds the example app.
 *
 * @example
 * const { app } = buildApp({ okta: { orgUrl, token }, users, sessionSecret })
 * app.listen(3001)
 */
export function buildApp (options: BuildAppOptions): BuiltApp {
  if (typeof options.sessionSecret !== 'string' || options.sessionSecret.length < 32) {
    throw new TypeError('"sessionSecret" option must be a string of at least 32 characters')
  }
  const users = new UserDirectory(options.users)
  const authenticator = new passport.Passport()

  authenticator.use(new LocalStrategy((username, password, done) => {
    const user = users.authenticate(username, password)
    done(null, user ?? false, user === undefined ? { message: 'Wrong username or password.' } : undefined)
  }))
  const clockOption = options.clock === undefined ? {} : { clock: options.clock }
  const revocations = options.revocations ?? new MemoryRevocationStore(clockOption)
  const resolveOktaUser: ResolveOktaUser<AppUser> = (user) => ({ login: user.email, profile: { firstName: user.displayName } })
  const strategy = new OktaMfaStrategy<AppUser, Request>({
    ...options.okta,
    store: options.attemptStore ?? new MemoryAttemptStore(clockOption),
    revocations,
    resolveOktaUser,
    provision: options.provision ?? false,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
  authenticator.use(strategy)
  const devices = rememberedDevicesOf(options, revocations, async (user) => {
    const oktaUserId = await resolveOktaUserId(strategy.client, resolveOktaUser, user as AppUser, undefined, { provision: options.provision ?? false })
    return (await strategy.client.listFactors(oktaUserId)).filter((f) => f.status === 'ACTIVE').map((f) => f.id)
  })
  authenticator.serializeUser((user, done) => { done(null, (user as AppUser).id) })
  authenticator.deserializeUser((id: string, done) => { done(null, users.find(id) ?? false) })

  const app = express()
  app.disable('x-powered-by')
  app.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }))
  app.use(session({
    name: 'sid',
    secret: options.sessionSecret,
    ...(options.sessionStore === undefined ? {} : { store: options.sessionStore }),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.secureCookie ?? false },
  }))
  app.use(authenticator.initialize())
  app.use(authenticator.session())
  app.use(requireCsrf)

  const guard = requireMfa({
    redirectTo: '/mfa',
    loginRedirectTo: '/login',
    revocations,
    rememberedDevices: devices,
    ...(options.mfaMaxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.mfaMaxAgeSeconds }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })

  app.get('/', (req, res) => { res.redirect(req.user === undefined ? '/login' : '/account') })
  // Password attempts per normalized account (checkLoginInput of passport-okta-mfa), counted before the password is checked.
  const loginLimiter = new AttemptLimiter({ maxAttempts: options.maxLoginAttempts ?? 10, windowMs: 15 * 60_000, ...(options.clock === undefined ? {} : { clock: options.clock }) })
  app.get('/login', (req, res) => { res.type('html').send(loginPage(csrfToken(req), lastMessage(req))) })
  const loginGate: express.RequestHandler = (req, res, next) => {
    const input = checkLoginInput(req.originalUrl, req.body)
    if (!input.ok) {
      res.status(400).setHeader('x-error-code', input.code)
      res.type('html').send(loginPage(csrfToken(req), input.message))
      return
    }
    loginLimiter.consume(input.key).then((decision) => {
      if (decision.allowed) { next(); return }
      res.status(429).setHeader('retry-after', String(decision.retryAfterSeconds))
      res.type('html').send(loginPage(csrfToken(req), 'Too many failed sign-ins for this account. Try again later.'))
    }, next)
  }
  app.post('/login', loginGate, authenticator.authenticate('local', { failureRedirect: '/login', failureMessage: true }), (req, res, next) => {
    const input = checkLoginInput(req.originalUrl, req.body)
    const done = input.ok ? loginLimiter.succeed(input.key) : Promise.resolve()
    // A session id of our own, bound to the user: logout revokes it in `revocations`, on every instance.
    startSession(req, { user: req.user, ...clockOption })
    done.then(() => { res.redirect('/mfa') }, next)
  })
  app.get('/mfa', (req, res) => {
    const user = req.user as AppUser | undefined
    if (user === undefined) { res.redirect('/login'); return }
    if (getMfaState(req) !== undefined && options.mfaMaxAgeSeconds === undefined) { res.redirect('/account'); return }
    res.type('html').send(mfaPage(csrfToken(req), user.displayName, lastMessage(req), options.demoHint, devices === undefined ? undefined : devices.maxAgeMs / 86_400_000))
  })
  // After the code, the form goes back to session.returnTo: only the shared strict check's local paths stay there.
  const safeReturnToOnly: express.RequestHandler = (req, _res, next) => {
    const s = req.session as unknown as { returnTo?: unknown }
    if (s.returnTo !== undefined && !isSafeReturnTo(s.returnTo)) delete s.returnTo
    next()
  }
  app.post('/mfa', safeReturnToOnly, authenticator.authenticate('okta-mfa', { failureRedirect: '/mfa', failureMessage: true }), (req, res, next) => {
    // The code was right. With the box ticked, this browser gets a signed device cookie the guard honours later.
    const s = req.session as unknown as { returnTo?: unknown }
    const to = isSafeReturnTo(s.returnTo) ? s.returnTo : '/account'
    delete s.returnTo
    const state = getMfaState(req)
    if (devices === undefined || state === undefined || (req.body as { rememberDevice?: unknown }).rememberDevice !== 'on') { res.redirect(to); return }
    devices.issue(req.user, state.factorId).then((value) => {
      res.append('set-cookie', devices.cookie(value, { secure: options.secureCookie ?? false }))
      res.redirect(to)
    }, next)
  })
  app.get('/account', guard, (req, res) => {
    const user = req.user as AppUser
    const state = getMfaState(req)!
    res.type('html').send(accountPage(csrfToken(req), user.displayName, state.factorId, state.completedAt, devices !== undefined, lastMessage(req)))
  })
  // "Forget remembered devices": every device cookie of the user issued until now is refused, on every instance
  // sharing `revocations`; this browser's cookie is cleared too.
  app.post('/devices/forget', guard, (req, res, next) => {
    if (devices === undefined) { res.redirect('/account'); return }
    devices.forgetAll(req.user).then(() => {
      res.append('set-cookie', devices.clearCookie({ secure: options.secureCookie ?? false }))
      ;(req.session as unknown as { messages?: string[] }).messages = ['Remembered devices forgotten: the next sign-in asks for a code.']
      res.redirect('/account')
    }, next)
  })
  app.get('/api/me', guard, (req, res) => {
    const user = req.user as AppUser
    res.json({ id: user.id, username: user.username, mfa: getMfaState(req) })
  })
  app.post('/logout', (req, res, next) => {
    revokeSession(req, revocations).then(() => {
      clearMfa(req)
      req.logout((err) => { if (err !== undefined && err !== null) next(err); else res.redirect('/login') })
    }, next)
  })

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
    // A request the body parser refused (too large, too many fields, malformed): the client's mistake, not a 500.
    const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).type('html').send(layout('That request could not be handled', '<p>Go back and try again.</p>'))
      return
    }
    const unavailable = isUpstreamDown(err)
    // Log the code only: client errors never carry secrets, but a page must not show internals either.
    console.error(`request failed: ${typeof code === 'string' ? code : 'internal error'}`)
    res.status(unavailable ? 503 : 500).type('html')
      .send(layout('Something went wrong', unavailable ? '<p>Verification is unavailable right now. Try again in a minute.</p>' : '<p>Internal error.</p>'))
  }
  app.use(onError)

  return { app, strategy, close: async () => { await strategy.close() } }
}
