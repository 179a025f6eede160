// The app's error handler: a client's mistake is a 4xx, an outage (Okta's or the attempt store's) a 503 with
// Retry-After: 60 (504 when Okta did not answer in time) and its code in x-error-code, anything else a 500; pages get
// HTML, /api JSON, and nothing internal is shown or logged but a code.
import type { ErrorRequestHandler } from 'express'
import { outcomeOfError } from '@okta-mfa/core'
import { MFA_OUTCOMES } from 'passport-okta-mfa'
import { escapeHtml, layout } from './pages.js'

/** A client's mistake the body parser refused, by status: its code, the page's title, what to do. */
const CLIENT_REFUSALS: Readonly<Record<number, readonly [code: string, title: string, advice: string]>> = {
  400: ['BAD_REQUEST', 'That request could not be handled', 'Go back and try again.'],
  413: ['PAYLOAD_TOO_LARGE', 'That form was too large to send', 'Go back, shorten what you typed, and try again.'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'That kind of form cannot be sent here', 'Go back and send the form from its page.'],
}

/** The wait an outage's page states ("try again in a minute"), in `Retry-After` too. */
const OUTAGE_RETRY_SECONDS = 60

/**
 * The outages the user may retry through, as the core's one mapping (`outcomeOfError`) names them: Okta unreachable,
 * slow, garbled, failing with a 5xx or answered for by a firewall in front of it; the attempt store down.
 */
const OUTAGES: ReadonlySet<string> = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'STORE_UNAVAILABLE'])

/**
 * The posts whose address is no page (`/login` and `/mfa` are both): the page their form is on, for *Try again*, and
 * what could not be done.
 */
const FORM_PAGES: Readonly<Record<string, readonly [page: string, why: string]>> = {
  '/logout': ['/account', 'Signing out is unavailable right now.'],
  '/devices/forget': ['/account', 'Forgetting remembered devices is unavailable right now.'],
}

/** The outage `err` is, if it is one. */
function outageOf (err: unknown): 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT' | 'STORE_UNAVAILABLE' | undefined {
  const code = outcomeOfError(err)?.code
  return code !== undefined && OUTAGES.has(code) ? code as 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT' | 'STORE_UNAVAILABLE' : undefined
}

/**
 * The last middleware of the app (see the file's opening comment).
 * @example
 * app.use(onError)
 */
export const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  const api = req.path.startsWith('/api/')
  // Log the code only (and a store's reason, such as NOPERM or READONLY: the first word of Redis's reply, safe to log):
  // client errors never carry secrets, but a page must not show internals either.
  const reason = code === 'STORE_UNAVAILABLE' ? (err as { reason?: unknown }).reason : undefined
  const logged = typeof code === 'string' ? `${code}${typeof reason === 'string' ? ` (${reason})` : ''}` : 'internal error'
  if (res.headersSent) {
    // The response already went out (e.g. the store failed while express-session touched the session after it):
    // nothing more can be said to the client, and a second answer would only throw.
    console.error(`request failed after its response: ${logged}`)
    if (!res.writableEnded) req.socket.destroy()
    return
  }
  // A request the body parser refused (too large, too many fields, malformed): the client's mistake, not a 500.
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [refusal, title, advice] = CLIENT_REFUSALS[status] ?? CLIENT_REFUSALS[400]!
    res.setHeader('x-error-code', refusal)
    if (api) { res.status(status).json({ code: refusal, message: `${title}.` }); return }
    res.status(status).type('html').send(layout(title, `<p>${advice}</p>`))
    return
  }
  const outcome = outageOf(err)
  const store = outcome === 'STORE_UNAVAILABLE'
  const unavailable = outcome !== undefined
  console.error(`request failed: ${logged}`)
  // The session's form token, read before the session is dropped: the page's Sign out form posts it.
  const csrf = (req as unknown as { session?: { csrf?: unknown } }).session?.csrf
  // Nothing of a failed request is kept: no session save (the store may be the failure) and no session cookie.
  delete (req as unknown as { session?: unknown }).session
  res.status(outcome === undefined ? 500 : MFA_OUTCOMES[outcome].status).setHeader('cache-control', 'no-store')
  if (outcome !== undefined) res.setHeader('retry-after', String(OUTAGE_RETRY_SECONDS)).setHeader('x-error-code', outcome)
  if (api) {
    res.json(outcome === undefined ? { code: 'INTERNAL', message: 'Internal error.' } : { code: outcome, message: MFA_OUTCOMES[outcome].message })
    return
  }
  const form = req.method === 'POST' && Object.hasOwn(FORM_PAGES, req.path) ? FORM_PAGES[req.path] : undefined
  const why = form !== undefined ? form[1] : store ? 'Sign-in is unavailable right now.' : 'Verification is unavailable right now.'
  // A way on: the page again (a form's page for its post; never a path that leaves the site), and Sign out.
  const again = form !== undefined ? form[0] : /^\/(?![/\\])/.test(req.path) ? req.path : '/'
  // Only when Okta is the failure: with the store down the token may be one this request made and could not save.
  const signOut = !store && typeof csrf === 'string' && csrf !== ''
    ? `\n<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${escapeHtml(csrf)}"><button>Sign out</button></form>`
    : ''
  res.type('html').send(layout('Something went wrong', unavailable
    ? `<p>${why} Try again in a minute.</p>\n<p><a href="${escapeHtml(again)}">Try again</a></p>${signOut}`
    : '<p>Internal error.</p>'))
}
