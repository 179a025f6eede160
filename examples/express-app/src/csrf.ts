// CSRF for the example's form posts: a synchronizer token kept in the server-side session and echoed in each form
// (field `_csrf`). A page on another site can make a browser post a form here, cookies included, but cannot read
// the token, so its post is refused. Login regenerates the session, so a new token comes with the next page.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { RequestHandler, Request } from 'express'
import { getMfaState } from 'passport-okta-mfa'
import { expiredFormPage } from './pages.js'
import { WERE_SIGNED_OUT, toSignIn } from './page-session.js'

/** Form field that carries the token. */
export const CSRF_FIELD = '_csrf'

interface CsrfSession { csrf?: string }

/** The session's token, created on first use. */
export function csrfToken (req: Request): string {
  const s = req.session as unknown as CsrfSession
  if (typeof s.csrf !== 'string' || s.csrf === '') s.csrf = randomBytes(24).toString('base64url')
  return s.csrf
}

/**
 * Refuses (403, `x-error-code: CSRF`; `{ code: 'CSRF' }` for JSON callers) any POST whose `_csrf` is not the session's
 * token. A form post with nobody signed in, but to /login, goes to /login instead (303), where the page says "You were
 * signed out".
 */
export const requireCsrf: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST') { next(); return }
  const expected = (req.session as unknown as CsrfSession | undefined)?.csrf
  const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD]
  if (typeof expected === 'string' && expected !== '' && typeof sent === 'string') {
    const a = Buffer.from(sent)
    const b = Buffer.from(expected)
    if (a.length === b.length && timingSafeEqual(a, b)) { next(); return }
  }
  const json = req.is('application/json') === 'application/json'
  if (!json && !req.isAuthenticated() && req.path !== '/login') {
    // Nobody signed in (signed out, revoked, expired): the form is not what failed. To the sign-in page, saying so.
    toSignIn(req, res, next, WERE_SIGNED_OUT)
    return
  }
  res.status(403).set({ 'x-error-code': 'CSRF', 'cache-control': 'no-store' })
  if (json) { res.json({ code: 'CSRF', message: 'The page expired. Reload it and try again.' }); return }
  // Its link leads to where the person is: the code form before the MFA step, the account after it.
  const back = !req.isAuthenticated() ? '/login' : getMfaState(req) === undefined ? '/mfa' : '/account'
  res.set('x-frame-options', 'DENY').type('html').send(expiredFormPage(back))
}
