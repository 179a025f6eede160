// An Express 5 app with its own password login (passport-local over an in-memory user list) that adds
// the Okta TOTP step with passport-okta-mfa: one strategy, one guard, two routes.
import express, { type Request } from 'express'
import session from 'express-session'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import {
  AttemptLimiter, MemoryAttemptStore, activeFactorIdsOf, MemoryRevocationStore, OktaMfaStrategy, clearMfa, getMfaState,
  isSafeReturnTo, isSessionRevoked, requireMfa, resolveOktaUserId, revokeSession, signOutRevoked, startSession, type ResolveOktaUser,
} from 'passport-okta-mfa'
import { csrfToken, requireCsrf } from './csrf.js'
import { onError } from './errors.js'
import { checkLoginInput } from 'passport-okta-mfa'
import { accountPage, loginPage, loginRetryOf, mfaPage, notFoundPage, waitWords } from './pages.js'
import { authenticatorChoices } from './authenticator-apps.js'
import {
  SESSION_COOKIE, SIGNED_OUT, isNotice, keepLastMessages, keepTyped, lastMessage, saveBeforeRedirect, sendPage, takeReturnTo, takeTyped, tellWhenSignedOut, toSignIn,
} from './page-session.js'
import { BoundedMemoryStore } from './session-store.js'
import { lowerCaseForwardedProto, trustProxyOption } from './trust-proxy.js'
import { UserDirectory, type AppUser } from './users.js'
import { rememberedDevicesOf, type BuildAppOptions, type BuiltApp } from './options.js'

export type { BuildAppOptions, BuiltApp, OktaConnection } from './options.js'

/** The largest form body read (16 KiB). */
const BODY_LIMIT_BYTES = 16_384
/** The longest stated body over the limit whose rest is read and dropped after its 413, rather than its connection cut. */
const DRAINED_BODY_BYTES = 8 * 1024 * 1024

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
  const old = options.oldSessionSecrets ?? []
  if (!Array.isArray(old) || old.some((secret) => typeof secret !== 'string' || secret.length < 32)) {
    throw new TypeError('"oldSessionSecrets" option must be an array of strings of at least 32 characters')
  }
  const trustProxy = trustProxyOption(options.trustProxy)
  const users = new UserDirectory(options.users)
  const authenticator = new passport.Passport()

  authenticator.use(new LocalStrategy((username, password, done) => {
    users.authenticate(username, password).then((user) => {
      done(null, user ?? false, user === undefined ? { message: 'Wrong username or password.' } : undefined)
    }, done)
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
    // None while Okta would refuse the user's sign-in (suspended, deactivated, locked out): no device stands in then.
    return await activeFactorIdsOf(strategy.client, oktaUserId)
  })
  /**
   * "Remember this device" at the MFA step, as the guard honours it: true when this browser's device cookie stands in
   * for the code (the session then holds an MFA step, as after a code). Never with `mfaMaxAgeSeconds` (`devices` is
   * undefined then: a step-up always asks for a code), never for a revoked session. Okta unreachable only means
   * "ask for a code"; a store that cannot answer is an error (503).
   */
  const rememberedStep = async (req: Request): Promise<boolean> => {
    if (devices === undefined || req.user === undefined) return false
    if (await isSessionRevoked(req, revocations, { user: req.user, ...clockOption })) return false
    return await devices.honour(req) !== undefined // Okta unreachable: undefined; a store outage rejects (503)
  }
  authenticator.serializeUser((user, done) => { done(null, (user as AppUser).id) })
  authenticator.deserializeUser((id: string, done) => { done(null, users.find(id) ?? false) })

  // Without a store of its own, a bounded one: express-session's MemoryStore would keep every visit's session forever.
  const memorySessions = options.sessionStore === undefined
    ? new BoundedMemoryStore({ ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }), ...clockOption })
    : undefined
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', trustProxy)
  if (trustProxy !== false) app.use(lowerCaseForwardedProto)
  // The device cookie is Secure as the session cookie is (express-session's 'auto'): over https as Express sees it.
  const secure = (req: Request): boolean => options.secureCookie === true || req.secure
  // 16 KiB: a password of 1024 characters outside ASCII (an emoji is 12 bytes once form-encoded) still reaches the size check.
  // A body declared larger is refused at once: the body parser would read all of it first. Node then reads its rest
  // and drops it, so a browser still sending it gets the 413 (a connection closed with bytes unread is reset, and the
  // answer lost); past 8 MiB its connection is closed instead.
  app.use((req, res, next) => {
    const stated = Number(req.headers['content-length'])
    if (stated > BODY_LIMIT_BYTES) {
      if (stated > DRAINED_BODY_BYTES) res.setHeader('connection', 'close')
      next(Object.assign(new Error('request entity too large'), { status: 413 }))
      return
    }
    next()
  })
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 20 }))
  app.use(session({
    name: SESSION_COOKIE,
    // The first signs; every one is accepted, so a rotation keeps everyone signed in.
    secret: [options.sessionSecret, ...old],
    store: options.sessionStore ?? memorySessions,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.secureCookie === true ? true : 'auto' },
  }))
  app.use(authenticator.initialize())
  app.use(authenticator.session())
  // A revoked session is signed out before anything saves it: a save renews the record (its TTL), which would then
  // outlive the revocation (passport-okta-mfa's README, "Logout and revocation").
  // The sign-in page then says so ("You were signed out. Sign in again.").
  app.use(tellWhenSignedOut(signOutRevoked({ revocations, ...clockOption })))
  // A logout with nobody signed in (a stale tab, signed out in another) has nothing to sign out: on to the sign-in page,
  // without the CSRF refusal.
  app.post('/logout', (req, res, next) => {
    if (req.isAuthenticated()) { next(); return }
    toSignIn(req, res, next, SIGNED_OUT)
  })
  app.use(requireCsrf)

  // Its redirect (to /login or /mfa, remembering the page in the session) goes out once the session is saved.
  const guard = saveBeforeRedirect(requireMfa({
    redirectTo: '/mfa',
    loginRedirectTo: '/login',
    revocations,
    rememberedDevices: devices,
    ...(options.mfaMaxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.mfaMaxAgeSeconds }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  }))

  app.get('/', (req, res) => { res.redirect(req.isAuthenticated() ? '/account' : '/login') })
  // Password attempts per normalized account (checkLoginInput of passport-okta-mfa), counted before the password is checked.
  const loginLimiter = new AttemptLimiter({ maxAttempts: options.maxLoginAttempts ?? 10, windowMs: 15 * 60_000, ...(options.clock === undefined ? {} : { clock: options.clock }) })
  app.get('/login', (req, res, next) => {
    // Signed in already: on to where the person is, the account once MFA is done, the code form before it.
    if (req.isAuthenticated()) { res.redirect(getMfaState(req) === undefined ? '/mfa' : '/account'); return }
    // After a wrong password (passport's redirect here): the username typed again, the password field in error.
    const message = lastMessage(req)
    const typed = takeTyped(req)
    // After a sign-out: "You signed out." or "You were signed out. Sign in again.", news rather than an error.
    if (isNotice(message)) { sendPage(req, res, next, loginPage(csrfToken(req), undefined, undefined, {}, message)); return }
    sendPage(req, res, next, loginPage(csrfToken(req), message, undefined, message === undefined ? {} : { field: 'password', username: typed.username }))
  })
  const loginGate: express.RequestHandler = (req, res, next) => {
    keepLastMessages(req)
    const input = checkLoginInput(req.originalUrl, req.body)
    if (!input.ok) {
      res.status(400).setHeader('x-error-code', input.code)
      sendPage(req, res, next, loginPage(csrfToken(req), input.message, input.code, loginRetryOf(input.code, req.body)))
      return
    }
    loginLimiter.consume(input.key).then((decision) => {
      if (decision.allowed) { keepTyped(req, req.body); next(); return }
      // The page and Retry-After say the same wait.
      const wait = Math.max(1, Math.ceil(decision.retryAfterSeconds))
      res.status(429).set({ 'retry-after': String(wait), 'x-error-code': 'LOCKED_OUT' })
      const message = `Too many failed sign-ins for this account. Try again in ${waitWords(wait)}.`
      sendPage(req, res, next, loginPage(csrfToken(req), message, 'LOCKED_OUT', loginRetryOf('LOCKED_OUT', req.body)))
    }, next)
  }
  // keepSessionInfo (passport's documented option): the new session of the login keeps the `returnTo` the guard
  // remembered, so a deep link survives the password step. The session id still changes (against fixation).
  app.post('/login', loginGate, authenticator.authenticate('local', { failureRedirect: '/login', failureMessage: true, keepSessionInfo: true }), (req, res, next) => {
    const input = checkLoginInput(req.originalUrl, req.body)
    const done = input.ok ? loginLimiter.succeed(input.key) : Promise.resolve()
    // What was kept and must not outlive the login: the old CSRF token (the next page makes a new one) and messages.
    const s = req.session as unknown as { csrf?: unknown, messages?: unknown, typed?: unknown }
    delete s.csrf
    delete s.messages
    delete s.typed
    // A session id of our own, bound to the user: logout revokes it in `revocations`, on every instance.
    startSession(req, { user: req.user, ...clockOption })
    // On a remembered browser no code is asked for: on to where the user was going.
    done.then(async () => await rememberedStep(req)).then((remembered) => { res.redirect(remembered ? takeReturnTo(req) : '/mfa') }, next)
  })
  app.get('/mfa', (req, res, next) => {
    // A session signed out by signOutRevoked holds `null` (passport's logout), not undefined.
    if (!req.isAuthenticated()) { res.redirect('/login'); return }
    const user = req.user as AppUser
    // Already verified (or a remembered browser), unless every step-up asks for a new code.
    const verified = options.mfaMaxAgeSeconds !== undefined
      ? Promise.resolve(false)
      : getMfaState(req) !== undefined ? Promise.resolve(true) : rememberedStep(req)
    verified.then(async (skip) => {
      if (skip) { res.redirect(takeReturnTo(req)); return }
      // A user with two authenticator apps says which one shows the code (the strategy refuses to guess).
      const apps = await authenticatorChoices(req, strategy.client, resolveOktaUser, user, (options.clock ?? Date.now)())
      // After a refused code (passport's redirect here): the app chosen and the box ticked, as they were.
      const message = lastMessage(req)
      const typed = takeTyped(req)
      const kept = message === undefined ? {} : { factorId: typed.factorId, remember: typed.remember }
      sendPage(req, res, next, mfaPage(csrfToken(req), user.displayName, message, options.demoHint, devices === undefined ? undefined : devices.maxAgeMs / 86_400_000, apps, kept))
    }).catch(next)
  })
  // After the code, the form goes back to session.returnTo: only the shared strict check's local paths stay there.
  const safeReturnToOnly: express.RequestHandler = (req, _res, next) => {
    keepLastMessages(req)
    const s = req.session as unknown as { returnTo?: unknown }
    if (s.returnTo !== undefined && !isSafeReturnTo(s.returnTo)) delete s.returnTo
    keepTyped(req, req.body)
    next()
  }
  app.post('/mfa', safeReturnToOnly, authenticator.authenticate('okta-mfa', { failureRedirect: '/mfa', failureMessage: true }), (req, res, next) => {
    // The code was right. With the box ticked, this browser gets a signed device cookie the guard honours later.
    takeTyped(req)
    const to = takeReturnTo(req)
    const state = getMfaState(req)
    // The MFA step is saved before the redirect goes out: express-session would save it after the answer, where a store
    // that fails (Redis going down) could no longer change a 302 that says the code passed into the 503 it is.
    const answer = (deviceCookie?: string): void => {
      req.session.save((err) => {
        if (err !== undefined && err !== null) { next(err); return }
        if (deviceCookie !== undefined) res.append('set-cookie', deviceCookie)
        res.redirect(to)
      })
    }
    if (devices === undefined || state === undefined || (req.body as { rememberDevice?: unknown }).rememberDevice !== 'on') { answer(); return }
    devices.issue(req.user, state.factorId).then((value) => { answer(devices.cookie(value, { secure: secure(req) })) }, next)
  })
  app.get('/account', guard, (req, res, next) => {
    const user = req.user as AppUser
    const state = getMfaState(req)!
    // Honoured by a remembered device: the page says so, and since when, rather than "verified at" that time.
    sendPage(req, res, next, accountPage(csrfToken(req), user.displayName, state.factorId, state.completedAt, devices !== undefined, lastMessage(req), state.method === 'remembered'))
  })
  // "Forget remembered devices": every device cookie of the user issued until now is refused, on every instance
  // sharing `revocations`; this browser's cookie is cleared too.
  app.post('/devices/forget', guard, (req, res, next) => {
    if (devices === undefined) { res.redirect('/account'); return }
    devices.forgetAll(req.user).then(() => {
      res.append('set-cookie', devices.clearCookie({ secure: secure(req) }))
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
      req.logout((err) => {
        if (err !== undefined && err !== null) { next(err); return }
        // In the new session passport's logout made (this browser's only), saved before the redirect goes out.
        toSignIn(req, res, next, SIGNED_OUT, 302)
      })
    }, next)
  })

  // Any other path: the app's own page (or JSON under /api/), coded, with a way on; not Express's bare "Cannot GET".
  app.use((req, res, next) => {
    // Express answers OPTIONS for the paths it serves (200, Allow) when nothing else did: left to it.
    if (req.method === 'OPTIONS') { next(); return }
    res.status(404).set({ 'x-error-code': 'NOT_FOUND', 'cache-control': 'no-store' })
    if (req.path.startsWith('/api/')) { res.json({ code: 'NOT_FOUND', message: 'There is nothing here.' }); return }
    res.type('html').send(notFoundPage())
  })
  app.use(onError)

  return { app, strategy, memorySessions, close: async () => { await strategy.close() } }
}
