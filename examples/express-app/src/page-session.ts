// What the example's routes do with the session around a page: save it before the page goes out, and take out what
// was kept for one request only (the guard's `returnTo`, passport's failure messages, what a refused form had).
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { FACTOR_ID_PATTERN } from '@okta-mfa/core'
import { isSafeReturnTo, MAX_USERNAME_LENGTH } from 'passport-okta-mfa'

/**
 * Sends an HTML page once the session is saved. The pages put a CSRF token (and flash messages) in the session; were
 * it saved after the page was sent, as express-session does, a store that cannot keep it (Redis down) would leave a
 * 200 with a cookie for a session that does not exist, and an error after the headers. Saved first, the store's
 * failure reaches the error handler (503) before anything is sent.
 */
export function sendPage (req: Request, res: Response, next: NextFunction, html: string): void {
  req.session.save((err: unknown) => {
    if (err !== undefined && err !== null) { next(err); return }
    // Pages show who is signed in: never kept by the browser (Back after sign-out asks the server again), never framed.
    res.set({ 'cache-control': 'no-store', 'x-frame-options': 'DENY' }).type('html').send(html)
  })
}

/** The session as express-session compares it (without its cookie): what a save would write. */
function sessionContent (session: object | undefined): string | undefined {
  return session === undefined ? undefined : JSON.stringify(session, function (this: unknown, key, value: unknown) { return this === session && key === 'cookie' ? undefined : value })
}

/**
 * Runs `guard` (requireMfa) with its redirect sent only once the session is saved. The guard remembers the page in
 * `session.returnTo` and ends its 302 itself; express-session would save after the headers, so a store that cannot
 * keep it (Redis down) left a 302 with a cookie for a session that does not exist, and an error after the response.
 * Saved first, as {@link sendPage} does, the store's failure reaches the error handler (503, no cookie). A redirect
 * that changed nothing in the session (a form post without a login) is sent as it is: no empty session is stored.
 */
export function saveBeforeRedirect (guard: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const end = res.end
    const session = req.session as typeof req.session | undefined
    const before = sessionContent(session)
    res.end = function (this: Response, ...args: unknown[]) {
      res.end = end
      const redirect = res.statusCode >= 300 && res.statusCode < 400
      const current = req.session as typeof req.session | undefined
      if (!redirect || res.headersSent || current === undefined || (current === session && sessionContent(current) === before)) {
        return (end as (...a: unknown[]) => Response).apply(this, args)
      }
      current.save((err: unknown) => {
        // Nothing was sent: the error handler answers instead of the redirect.
        if (err !== undefined && err !== null) { res.removeHeader('location'); next(err); return }
        (end as (...a: unknown[]) => Response).apply(res, args)
      })
      return res
    } as typeof res.end
    guard(req, res, (err?: unknown) => { res.end = end; next(err) })
  }
}

/** The safe `returnTo` the guard remembered (taken out of the session), else /account. */
export function takeReturnTo (req: Request): string {
  const s = req.session as unknown as { returnTo?: unknown }
  const to = isSafeReturnTo(s.returnTo) ? s.returnTo : '/account'
  delete s.returnTo
  return to
}

/** passport's `failureMessage` appends one message per failure: a client that never reads the page keeps only a few. */
export function keepLastMessages (req: Request): void {
  const s = req.session as unknown as { messages?: unknown }
  if (Array.isArray(s.messages) && s.messages.length > 3) s.messages = s.messages.slice(-3)
}

/** The last failure message passport kept (taken out of the session), if any. */
export function lastMessage (req: Request): string | undefined {
  const s = req.session as unknown as { messages?: string[] }
  const message = s.messages?.at(-1)
  delete s.messages
  return message
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'sid'

/** What the sign-in page says after a logout. */
export const SIGNED_OUT = 'You signed out.'
/** What it says after a sign-out the person did not ask for: the session revoked ("sign out of all sessions") or gone. */
export const WERE_SIGNED_OUT = 'You were signed out. Sign in again.'
const NOTICES: ReadonlySet<string> = new Set([SIGNED_OUT, WERE_SIGNED_OUT])

/** Whether a message {@link lastMessage} took is one of the sign-out notices (said as news, not as an error). */
export function isNotice (message: string | undefined): boolean {
  return message !== undefined && NOTICES.has(message)
}

/**
 * Keeps a sign-out notice for the sign-in page, with passport's messages. Call it once the user is out of the session:
 * passport's logout regenerates it, so the notice is in this browser's new session and nobody else's.
 */
function tell (req: Request, notice: typeof SIGNED_OUT | typeof WERE_SIGNED_OUT): void {
  const s = req.session as unknown as { messages?: unknown }
  const messages = Array.isArray(s.messages) ? s.messages as unknown[] : []
  if (messages.at(-1) !== notice) messages.push(notice)
  s.messages = messages
}

/** Whether the request carried this app's session cookie (known to the store or not: an expired session's too). */
function sentSessionCookie (req: Request): boolean {
  return (req.headers.cookie ?? '').split(';').some((pair) => pair.trim().startsWith(`${SESSION_COOKIE}=`))
}

/**
 * To the sign-in page (`status`, 303 unless given) once the session is saved, with `notice` for it to say. A post
 * without this browser's session cookie (another site's form) is sent there as it is: a session made for it would set
 * a cookie that replaces this browser's.
 */
export function toSignIn (req: Request, res: Response, next: NextFunction, notice: typeof SIGNED_OUT | typeof WERE_SIGNED_OUT, status = 303): void {
  if (!sentSessionCookie(req)) { res.redirect(status, '/login'); return }
  tell(req, notice)
  req.session.save((err: unknown) => { if (err !== undefined && err !== null) next(err); else res.redirect(status, '/login') })
}

/** Runs `signOut` (signOutRevoked) and, when it signed a revoked session out, keeps {@link WERE_SIGNED_OUT} for /login. */
export function tellWhenSignedOut (signOut: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const signedIn = req.isAuthenticated()
    signOut(req, res, (err?: unknown) => {
      if ((err === undefined || err === null) && signedIn && !req.isAuthenticated()) tell(req, WERE_SIGNED_OUT)
      next(err)
    })
  }
}

/**
 * What a form post had that its page shows again after passport refused it and redirected there (WCAG's "redundant
 * entry"): the username typed; the authenticator app chosen and "Remember this device". Never a password or a code.
 */
export interface TypedBack {
  username?: string
  factorId?: string
  remember?: boolean
}

/** Keeps what a form post had (see {@link TypedBack}) for its page, should the post be refused. */
export function keepTyped (req: Request, body: unknown): void {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const typed: TypedBack = {}
  // Bounded as the checks before it bound them: a username the sign-in takes, a factor id as Okta writes one.
  if (typeof b.username === 'string' && b.username.length <= MAX_USERNAME_LENGTH) typed.username = b.username.trim()
  if (typeof b.factorId === 'string' && FACTOR_ID_PATTERN.test(b.factorId)) typed.factorId = b.factorId
  if (b.rememberDevice === 'on') typed.remember = true
  ;(req.session as unknown as { typed?: TypedBack }).typed = typed
}

/** Takes (and forgets) what the last form post kept: an empty object when none. */
export function takeTyped (req: Request): TypedBack {
  const s = req.session as unknown as { typed?: unknown }
  const kept = s.typed
  delete s.typed
  if (typeof kept !== 'object' || kept === null) return {}
  const k = kept as Record<string, unknown>
  return {
    ...typeof k.username === 'string' ? { username: k.username } : {},
    ...typeof k.factorId === 'string' ? { factorId: k.factorId } : {},
    ...k.remember === true ? { remember: true } : {},
  }
}
