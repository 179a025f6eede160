// The primary sign-in (passport-local) and sign-out. After the password the user goes to /mfa, or straight
// to enrollment when they have no factor yet.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { clearMfa, getMfaState, isStoreUnavailableError, revokeSession, startSession } from 'passport-okta-mfa'
import { currentUser, isSignedIn, type AppContext } from '../context.js'
import { csrfToken, isJsonPost } from '../csrf.js'
import { factorView, unusableActiveFactors, verifiableFactors } from '../factors.js'
import { checkLoginInput, normalizeUsername } from 'passport-okta-mfa'
import { formatRetry, STORE_DOWN } from '../messages.js'
import { field, rememberReturnTo, RETURN_TO_KEY, setFlash, takeFlash, takeReturnTo } from '../session.js'
import { signedOutUnrecordedPage } from '../views/errors.js'
import { html, page, csrfField } from '../views/layout.js'
import { loginPage } from '../views/login.js'

/** Registers `/`, `/login` and `/logout`. */
export function authRoutes (app: FastifyInstance, ctx: AppContext): void {
  const demo = ctx.accounts?.list
  const demoOkta = ctx.accounts?.okta

  const renderLogin = async (request: FastifyRequest, reply: FastifyReply, status: number, extra: { error?: string, username?: string, focus?: 'username' | 'password' } = {}): Promise<void> => {
    const flash = takeFlash(request)
    await reply.code(status).type('text/html; charset=utf-8').send(loginPage({
      csrf: csrfToken(request),
      demo,
      demoOkta,
      // Sent here from a protected page: say why, and that the person will land where they were going.
      toContinue: request.session.get(RETURN_TO_KEY) !== undefined,
      ...extra,
      ...(flash?.kind === 'error' ? { error: flash.text } : flash === undefined ? {} : { info: flash.text }),
    }))
  }

  app.get('/', async (request, reply) => {
    await reply.redirect(isSignedIn(request) ? '/account' : '/login', 303)
  })

  app.get('/login', async (request, reply) => {
    const target = typeof (request.query as Record<string, unknown>).returnTo === 'string' ? (request.query as Record<string, string>).returnTo : undefined
    if (target !== undefined) rememberReturnTo(request, target)
    await renderLogin(request, reply, 200)
  })

  /**
   * Refuses what passport-local must not read (credentials in the URL, missing or oversized fields) with a coded
   * 400, then counts the attempt under the normalized account before the password is checked, so parallel guesses
   * cannot slip past the cap.
   */
  const loginGate = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const input = checkLoginInput(request.url, request.body)
    if (!input.ok) {
      reply.header('x-error-code', input.code)
      if (isJsonPost(request)) {
        return await reply.code(400).send({ error: { code: input.code, message: input.message } })
      }
      // An empty field is named and focused, as is one too long; credentials in the URL are said as they are.
      const empty = input.code === 'MISSING_CREDENTIALS' ? emptyLoginField(request.body) : undefined
      const focus = empty ?? (input.code === 'USERNAME_TOO_LONG' ? 'username' : input.code === 'PASSWORD_TOO_LONG' ? 'password' : undefined)
      return await renderLogin(request, reply, 400, {
        error: empty === 'username' ? 'Enter your username.' : empty === 'password' ? 'Enter your password.' : input.message,
        username: (field(request, 'username') ?? '').trim(),
        ...(focus === undefined ? {} : { focus }),
      })
    }
    const decision = await ctx.loginLimiter.consume(input.key)
    if (decision.allowed) return
    // The page and Retry-After say the same wait.
    const wait = Math.max(1, Math.ceil(decision.retryAfterSeconds))
    reply.header('retry-after', String(wait)).header('x-error-code', 'LOCKED_OUT')
    await renderLogin(request, reply, 429, {
      username: (field(request, 'username') ?? '').trim(),
      error: `Too many failed sign-ins for this account. Try again ${formatRetry(wait)}.`,
    })
  }

  // passport-local through @fastify/passport, with a callback so that a failure re-renders the form in place.
  app.post('/login', { bodyLimit: LOGIN_BODY_LIMIT, preValidation: ctx.csrf, preHandler: loginGate }, ctx.passport.authenticate('local', async (request, reply, err, user) => {
    if (err !== null) throw err
    if (user === false || user === undefined || user === null) {
      return await renderLogin(request, reply, 401, {
        username: (field(request, 'username') ?? '').trim(),
        error: "That username and password don't match. Check them and try again.",
      })
    }
    const input = checkLoginInput(request.url, request.body)
    if (input.ok) await ctx.loginLimiter.succeed(input.key)
    const returnTo = takeReturnTo(request)
    await request.logIn(user) // regenerates the session: no CSRF token, MFA state or flash survives from before.
    startSession(request, { user, clock: ctx.clock }) // a new session id: what logout and "sign out everywhere" revoke
    if (returnTo !== undefined) rememberReturnTo(request, returnTo)
    await reply.redirect(await nextStep(ctx, request), 303)
  }))

  // GET /logout signs out when the browser says the request did not come from another site (Sec-Fetch-Site
  // none/same-origin: a typed URL, a bookmark, our own "Sign out" link) or when there is no such header (not a
  // browser, so no ambient cookies to abuse). A cross-site GET (a link or <img> on another site) only shows a
  // button that POSTs with the CSRF token: signing someone out is low-risk, but there is no reason to allow it.
  app.get('/logout', async (request, reply) => {
    if (!isSignedIn(request)) return await reply.redirect('/login', 303)
    if (!CROSS_SITE.has(String(request.headers['sec-fetch-site'] ?? ''))) return await signOut(ctx, request, reply)
    const csrf = csrfToken(request)
    const body = html`<section class="card"><h1>Sign out?</h1>
      <form method="post" action="/logout">${csrfField(csrf)}<button type="submit" class="primary">Sign out</button></form>
      <p><a href="/account">Stay signed in</a></p></section>`
    await reply.type('text/html; charset=utf-8').send(page({ title: 'Sign out', body, userName: currentUser(request).displayName, csrf, fullNav: getMfaState(request) !== undefined }))
  })

  app.post('/logout', { preValidation: ctx.csrf }, async (request, reply) => { await signOut(ctx, request, reply) })
}

/** The first empty field of a sign-in form (username before password), to name it and put the cursor there. */
function emptyLoginField (body: unknown): 'username' | 'password' | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  // Empty as the sign-in reads it: a name of spaces or invisible characters (what a paste can carry) is no name.
  if (typeof b.username !== 'string' || normalizeUsername(b.username) === '') return 'username'
  if (typeof b.password !== 'string' || b.password === '') return 'password'
  return undefined
}

/** 16 KiB: a password of 1024 characters outside ASCII (an emoji is 12 bytes once form-encoded) still reaches the size check. */
const LOGIN_BODY_LIMIT = 16_384

/** Sec-Fetch-Site values of a request started by another site: GET /logout asks before signing out. */
const CROSS_SITE = new Set(['cross-site', 'same-site'])

/**
 * Ends the session (MFA state included; its id revoked, so a copy of the cookie is useless) and goes to /login. With
 * the revocation store down this browser is signed out all the same (its cookie emptied), and a 503
 * STORE_UNAVAILABLE page says that the sign-out could not be recorded for a copy of the session (`unrecorded`: a
 * sign-out the caller could not record, and the words that say so).
 */
export async function signOut (ctx: AppContext, request: FastifyRequest, reply: FastifyReply, notice = 'You are signed out.', unrecorded?: string): Promise<void> {
  let recorded = unrecorded === undefined
  if (isSignedIn(request)) {
    try {
      await revokeSession(request, ctx.revocations)
    } catch (err) {
      if (!isStoreUnavailableError(err)) throw err
      recorded = false
      request.log.warn({ err: { code: err.code, reason: err.reason } }, 'sign-out not recorded: the revocation store is unavailable')
    }
    clearMfa(request)
    await request.logOut()
  }
  if (!recorded) {
    // Nothing of it stays in this browser: the cookie is emptied (its unrevoked session id too).
    request.session.delete()
    reply.header('x-error-code', 'STORE_UNAVAILABLE')
    return await reply.code(503).type('text/html; charset=utf-8').send(signedOutUnrecordedPage('You are signed out in this browser', unrecorded ?? STORE_DOWN.signOut))
  }
  setFlash(request, 'info', notice)
  await reply.redirect('/login', 303)
}

/**
 * Where sign-in goes on: on a remembered device, where the person was going (or /account); else /mfa when the user
 * has a factor (one to verify, or only kinds the pages cannot use: /mfa says so), /mfa/enroll when not; /mfa when
 * Okta cannot say.
 */
async function nextStep (ctx: AppContext, request: FastifyRequest): Promise<string> {
  try {
    if (ctx.devices !== undefined && await ctx.devices.honour(request) !== undefined) return takeReturnTo(request) ?? '/account'
  } catch (err) {
    request.log.warn({ err: { code: (err as { code?: unknown }).code } }, 'could not check the remembered device')
  }
  try {
    const factors = (await ctx.directory.factorsOf(request)).map(factorView)
    // Active factors of kinds the pages cannot verify: /mfa says so (enrollment would need a step-up first).
    return verifiableFactors(factors).length === 0 && unusableActiveFactors(factors) === undefined ? '/mfa/enroll' : '/mfa'
  } catch (err) {
    request.log.warn({ err: { code: (err as { code?: unknown }).code } }, 'could not list factors after sign-in')
    return '/mfa'
  }
}
