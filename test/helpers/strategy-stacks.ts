// The two stacks the strategy must serve, built the same way a user would: Express 5 + passport 0.7 +
// express-session, and Fastify 5 + @fastify/passport + @fastify/secure-session + @fastify/formbody.
// Both expose the same routes, so one test body runs against each.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import express, { type ErrorRequestHandler, type Request } from 'express'
import session from 'express-session'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import Fastify, { type FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import secureSession from '@fastify/secure-session'
import { Authenticator } from '@fastify/passport'
import { Authenticator as AuthenticatorV4 } from '@fastify/passport-v4'
import {
  OktaMfaStrategy, getMfaState, requireMfa, requireMfaFastify, signOutRevoked,
  type OktaMfaStrategyOptions, type RequireMfaOptions, type RevocationStore, type SignOutRevokedOptions,
} from 'passport-okta-mfa'
import { revokeSession, revokeUserSessions, startSession, userKeyOf } from '@okta-mfa/core'
import { CookieJar, listenLoopback } from './http.js'

/** An app user; `email` is the Okta login. */
export interface StackUser { id: string, username: string, password: string, email: string }

/** Users every stack knows. */
export const USERS: readonly StackUser[] = [
  { id: 'u1', username: 'ada', password: 'pw-ada', email: 'ada@example.com' },
  { id: 'u2', username: 'bob', password: 'pw-bob', email: 'bob@example.com' },
  { id: 'u3', username: 'cyd', password: 'pw-cyd', email: 'cyd@example.com' },
  { id: 'u4', username: 'dee', password: 'pw-dee', email: 'dee@example.com' },
]

/** Options of a stack: strategy options (resolveOktaUser defaults to the login = email) and guard options. */
export interface StackOptions {
  strategy: Omit<OktaMfaStrategyOptions<StackUser>, 'resolveOktaUser'> & Partial<Pick<OktaMfaStrategyOptions<StackUser>, 'resolveOktaUser'>>
  guard?: RequireMfaOptions
  /** Session revocation: given to the strategy and the guard; `/logout` revokes the session, `/logout-everywhere` the user. */
  revocations?: RevocationStore
  /** The app's users (an app may rename one). @default USERS */
  users?: StackUser[]
  /**
   * passport-okta-mfa's `signOutRevoked`, placed as the README says (true) or, by mistake, before passport's session
   * middleware ('too early'). Needs `revocations`.
   */
  signOutRevoked?: boolean | 'too early'
}

/** A running stack. */
export interface Stack {
  kind: 'express' | 'fastify'
  url: string
  strategy: OktaMfaStrategy<StackUser>
  /** Errors that reached the app's error handler (what `this.error` produced). */
  errors: unknown[]
  /** A fresh browser. */
  jar: () => CookieJar
  /** Express: how many times express-session has saved a record so far (a save renews it). */
  sessionWrites?: () => number
}

interface Teardown { teardown: (fn: () => unknown) => void }

type LocalVerify = (username: string, password: string, done: (err: unknown, user?: StackUser | false) => void) => void

/** The app's user lookup by id (the session's) and its password check, over `options.users`. */
function directory (options: StackOptions): { findUser: (id: unknown) => StackUser | undefined, localVerify: LocalVerify } {
  const users = options.users ?? USERS
  return {
    findUser: (id) => users.find((u) => u.id === id),
    localVerify: (username, password, done) => { done(null, users.find((u) => u.username === username && u.password === password) ?? false) },
  }
}

function strategyOf (options: StackOptions): OktaMfaStrategy<StackUser> {
  const revocations = options.revocations === undefined ? {} : { revocations: options.revocations }
  return new OktaMfaStrategy<StackUser>({ resolveOktaUser: (user) => ({ login: user.email }), ...revocations, ...options.strategy })
}

function guardOptions (options: StackOptions): RequireMfaOptions {
  return options.revocations === undefined ? { ...options.guard } : { ...options.guard, revocations: options.revocations }
}

/** The guard of `/api/plain`: the stack's, without remembered devices or step-up (a page that asks for a real code). */
function plainGuardOptions (options: StackOptions): RequireMfaOptions {
  const { rememberedDevices: _devices, maxAgeSeconds: _maxAge, ...rest } = guardOptions(options)
  return rest
}

/** The hook's options: the stack's store, with the guards' userKey and clock. */
function signOutOptions (options: StackOptions, revocations: RevocationStore): SignOutRevokedOptions {
  return { revocations, userKey: options.strategy.userKey, clock: options.strategy.clock }
}

function errorBody (err: unknown): { error: string } {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  return { error: typeof code === 'string' ? code : 'INTERNAL' }
}

/** Express 5 + passport 0.7 + express-session. */
export async function startExpressStack (t: Teardown, options: StackOptions): Promise<Stack> {
  const strategy = strategyOf(options)
  const { findUser, localVerify } = directory(options)
  const keyed = { userKey: options.strategy.userKey } // the app reads its MFA step with its own userKey
  const errors: unknown[] = []
  const auth = new passport.Passport()
  auth.use(new LocalStrategy(localVerify))
  auth.use(strategy)
  auth.serializeUser((user, done) => { done(null, (user as StackUser).id) })
  auth.deserializeUser((id, done) => { done(null, findUser(id) ?? false) })
  const guard = requireMfa(guardOptions(options))
  const plainGuard = requireMfa(plainGuardOptions(options))

  const app = express()
  app.use(express.urlencoded({ extended: true }))
  app.use(express.json())
  // express-session's own store, its saves counted.
  const store = new session.MemoryStore()
  let sessionWrites = 0
  const save = store.set.bind(store)
  store.set = (sid, data, callback) => { sessionWrites++; save(sid, data, callback) }
  app.use(session({ secret: randomBytes(16).toString('hex'), resave: false, saveUninitialized: false, store }))
  app.use(auth.initialize())
  if (options.signOutRevoked === 'too early' && options.revocations !== undefined) app.use(signOutRevoked(signOutOptions(options, options.revocations)))
  app.use(auth.session())
  const revocations = options.revocations
  if (options.signOutRevoked === true && revocations !== undefined) {
    // As the README shows it (Logout and revocation), right after passport.session().
    app.use(signOutRevoked(signOutOptions(options, revocations)))
  }
  app.post('/login', auth.authenticate('local', { successRedirect: '/mfa', failureRedirect: '/login' }))
  // An unguarded page that writes the session (a flash message): each save renews the stored record.
  app.get('/note', (req, res) => {
    (req.session as unknown as { note?: string }).note = String(Date.now())
    res.json({ user: (req.user as StackUser | undefined)?.username ?? null })
  })
  app.post('/login-keep', auth.authenticate('local', { successRedirect: '/mfa', failureRedirect: '/login', keepSessionInfo: true }))
  // The README's revocation recipe: a new session id at login (startSession), with keepSessionInfo.
  app.post('/login-start', auth.authenticate('local', { failureRedirect: '/login', keepSessionInfo: true }), (req, res) => {
    startSession(req, { user: req.user, clock: options.strategy.clock })
    res.redirect('/mfa')
  })
  app.get('/mfa', (req, res) => {
    const s = req.session as unknown as { messages?: string[] }
    res.type('html').send(`mfa page ${s.messages?.at(-1) ?? ''}`)
  })
  app.post('/mfa', auth.authenticate('okta-mfa', { successReturnToOrRedirect: '/account', failureRedirect: '/mfa', failureMessage: true }))
  app.post('/api/mfa', (req, res, next) => {
    auth.authenticate('okta-mfa', (err: unknown, user: StackUser | false, info: unknown, status: number | undefined) => {
      if (err !== null && err !== undefined) { next(err); return }
      if (user === false) { res.status(status ?? 401).json(info); return }
      req.logIn(user, (loginErr) => {
        if (loginErr !== undefined && loginErr !== null) next(loginErr)
        else res.json({ ok: true, mfa: getMfaState(req, keyed) })
      })
    })(req, res, next)
  })
  app.get('/account', guard, (req: Request, res) => { res.type('html').send(`account of ${(req.user as StackUser).username}`) })
  app.get('/api/data', guard, (req: Request, res) => { res.json({ user: (req.user as StackUser).username, mfa: getMfaState(req, keyed) }) })
  app.get('/api/plain', plainGuard, (req: Request, res) => { res.json({ user: (req.user as StackUser).username }) })
  app.post('/logout', (req, res, next) => {
    const revoked = options.revocations === undefined ? Promise.resolve() : revokeSession(req, options.revocations)
    revoked.then(() => { req.logout((err) => { if (err !== undefined && err !== null) next(err); else res.json({ ok: true }) }) }, next)
  })
  app.post('/logout-everywhere', (req, res, next) => {
    if (options.revocations === undefined || req.user === undefined) { res.status(401).json({ ok: false }); return }
    revokeUserSessions(options.revocations, userKeyOf(req.user, options.strategy.userKey), { clock: options.strategy.clock }).then(() => res.json({ ok: true }), next)
  })
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    errors.push(err)
    res.status(503).json(errorBody(err))
  }
  app.use(onError)

  const url = await listenLoopback(t, app, async () => { await strategy.close() })
  return { kind: 'express', url, strategy, errors, jar: () => new CookieJar(url), sessionWrites: () => sessionWrites }
}

/** The `Authenticator` class of @fastify/passport 3 (the default) or 4. */
export type FastifyAuthenticatorClass = typeof Authenticator | typeof AuthenticatorV4

/**
 * Fastify 5 + @fastify/passport (a new Authenticator per app) + @fastify/secure-session + @fastify/formbody.
 * `Auth` picks the @fastify/passport major: 3 by default, `AuthenticatorV4` for 4 (see startFastifyPassport4Stack).
 */
export async function startFastifyStack (t: Teardown, options: StackOptions, Auth: FastifyAuthenticatorClass = Authenticator): Promise<Stack> {
  const strategy = strategyOf(options)
  const { findUser, localVerify } = directory(options)
  const keyed = { userKey: options.strategy.userKey } // the app reads its MFA step with its own userKey
  const errors: unknown[] = []
  // Both majors have the same API for what this stack uses; typed as 3's so one body serves both.
  const fp = new Auth() as Authenticator
  const app = Fastify()
  await app.register(formbody)
  await app.register(secureSession, { key: randomBytes(32), cookie: { path: '/', httpOnly: true } })
  await app.register(fp.initialize())
  if (options.signOutRevoked === 'too early' && options.revocations !== undefined) app.addHook('preValidation', signOutRevoked(signOutOptions(options, options.revocations)))
  await app.register(fp.secureSession())
  fp.use('local', new LocalStrategy(localVerify))
  fp.use('okta-mfa', strategy)
  fp.registerUserSerializer(async (user: StackUser) => user.id)
  fp.registerUserDeserializer(async (id: string) => findUser(id) ?? null)
  const guard = requireMfaFastify(guardOptions(options))
  const plainGuard = requireMfaFastify(plainGuardOptions(options))
  const revocations = options.revocations
  if (options.signOutRevoked === true && revocations !== undefined) {
    // As the README shows it (Logout and revocation), right after passport.secureSession().
    app.addHook('preValidation', signOutRevoked(signOutOptions(options, revocations)))
  }

  app.post('/login', fp.authenticate('local', { successRedirect: '/mfa', failureRedirect: '/login' }) )
  // An unguarded page that writes the session (a flash message, a CSRF token): each write renews a cookie session.
  app.get('/note', async (request) => {
    ;(request.session as unknown as { set: (key: string, value: unknown) => void }).set('note', String(Date.now()))
    return { user: (request.user as StackUser | undefined)?.username ?? null }
  })
  app.post('/login-keep', fp.authenticate('local', { successRedirect: '/mfa', failureRedirect: '/login', keepSessionInfo: true }) )
  app.post('/login-start', { preValidation: fp.authenticate('local', { failureRedirect: '/login', keepSessionInfo: true }) as never }, async (request, reply) => {
    startSession(request, { user: request.user, clock: options.strategy.clock })
    return await reply.redirect('/mfa')
  })
  app.get('/mfa', async (request, reply) => {
    const messages = request.session.get('messages') as string[] | undefined
    return await reply.type('text/html').send(`mfa page ${messages?.at(-1) ?? ''}`)
  })
  app.post('/mfa', fp.authenticate('okta-mfa', { successReturnToOrRedirect: '/account', failureRedirect: '/mfa', failureMessage: true }) )
  app.post('/api/mfa', fp.authenticate('okta-mfa', async (request, reply, err, user, info, status) => {
    if (err !== null && err !== undefined) throw err
    if (user === undefined || user === false || user === null) return await reply.code(status ?? 401).send(info)
    await request.logIn(user)
    return await reply.send({ ok: true, mfa: getMfaState(request, keyed) })
  }))
  app.get('/account', { preHandler: guard }, async (request: FastifyRequest, reply) => {
    return await reply.type('text/html').send(`account of ${(request.user as unknown as StackUser).username}`)
  })
  app.get('/api/data', { preHandler: guard }, async (request: FastifyRequest) => ({ user: (request.user as unknown as StackUser).username, mfa: getMfaState(request, keyed) }))
  app.get('/api/plain', { preHandler: plainGuard }, async (request: FastifyRequest) => ({ user: (request.user as unknown as StackUser).username }))
  app.post('/logout', async (request) => {
    if (options.revocations !== undefined) await revokeSession(request, options.revocations)
    await request.logOut()
    return { ok: true }
  })
  app.post('/logout-everywhere', async (request, reply) => {
    if (options.revocations === undefined || request.user === undefined || request.user === null) return await reply.code(401).send({ ok: false })
    await revokeUserSessions(options.revocations, userKeyOf(request.user, options.strategy.userKey), { clock: options.strategy.clock })
    return { ok: true }
  })
  app.setErrorHandler(async (err, _request, reply) => {
    errors.push(err)
    return await reply.code(503).send(errorBody(err))
  })

  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    await strategy.close()
  })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return { kind: 'fastify', url, strategy, errors, jar: () => new CookieJar(url) }
}

/** The Fastify stack on @fastify/passport 4 (the aliased devDependency @fastify/passport-v4). */
export async function startFastifyPassport4Stack (t: Teardown, options: StackOptions): Promise<Stack> {
  return await startFastifyStack(t, options, AuthenticatorV4)
}

/** Every stack (Express, Fastify with @fastify/passport 3 and with 4), for `for (const start of STACKS)`. */
export const STACKS = [startExpressStack, startFastifyStack, startFastifyPassport4Stack] as const

/** Signs `user` in with the password form; the jar then holds a logged-in, MFA-pending session. */
export async function passwordLogin (jar: CookieJar, user: StackUser): Promise<void> {
  const res = await jar.fetch('/login', { form: { username: user.username, password: user.password } })
  if (res.status !== 302 || res.location !== '/mfa') throw new Error(`password login of ${user.username} failed: ${res.status} ${res.location ?? ''}`)
}

/** Emulator seed for USERS: ada and bob with an active TOTP factor, cyd without any factor, dee not in Okta. */
export function seedUsers (): Array<{ id: string, login: string, factors?: Array<{ id: string, factorType: 'token:software:totp', sharedSecret: string }> }> {
  return [
    { id: '00uada00000000000001', login: 'ada@example.com', factors: [{ id: 'ostada00000000000001', factorType: 'token:software:totp', sharedSecret: 'JBSWY3DPEHPK3PXP' }] },
    { id: '00ubob00000000000002', login: 'bob@example.com', factors: [{ id: 'ostbob00000000000002', factorType: 'token:software:totp', sharedSecret: 'KRSXG5CTMVRXEZLU' }] },
    { id: '00ucyd00000000000003', login: 'cyd@example.com' },
  ]
}

/** The seeded TOTP secrets and factor ids by username. */
export const FACTORS = {
  ada: { id: 'ostada00000000000001', secret: 'JBSWY3DPEHPK3PXP' },
  bob: { id: 'ostbob00000000000002', secret: 'KRSXG5CTMVRXEZLU' },
} as const

/** A 6-digit code that is not `code`. */
export function wrongCode (code: string): string {
  return String((Number(code) + 500_000) % 1_000_000).padStart(6, '0')
}
