// How the MFA state survives the login passport performs on `success`. Both stacks regenerate the
// session there (passport 0.7's SessionManager.logIn, @fastify/passport's SecureSessionManager.logIn),
// which would drop the state the strategy just recorded and the `returnTo` the guard remembered.
// For this one request we wrap `req.logIn` so that, once the new session exists, those keys are put back.
import { sessionGet, sessionSet, type SessionRequest } from '@okta-mfa/core'
import { isThenable } from './thenable.js'

type LogIn = (this: unknown, user: unknown, options?: unknown, done?: (err?: unknown) => void) => unknown

interface LoginCapable extends SessionRequest {
  logIn?: LogIn
  login?: LogIn
}

/**
 * Wraps `req.logIn`/`req.login` (own properties, this request only) so that the session `keys` present now
 * are copied into the session the login creates, unless the login already kept them (`keepSessionInfo`).
 * Works with the callback form (passport 0.7) and the promise form (@fastify/passport). The wrap undoes itself
 * after the first login.
 */
export function carryAcrossLogin (req: SessionRequest, keys: readonly string[]): void {
  const target = req as LoginCapable
  const original = target.logIn ?? target.login
  if (typeof original !== 'function') return
  const hadOwn = { logIn: Object.hasOwn(target, 'logIn'), login: Object.hasOwn(target, 'login') }
  const saved = { logIn: target.logIn, login: target.login }

  const unhook = (): void => {
    if (hadOwn.logIn) target.logIn = saved.logIn
    else delete target.logIn
    if (hadOwn.login) target.login = saved.login
    else delete target.login
  }

  const wrapped: LogIn = function (this: unknown, user, options, done) {
    if (typeof options === 'function') {
      done = options as (err?: unknown) => void
      options = {}
    }
    unhook()
    const carried = keys.map((key) => [key, sessionGet(req, key)] as const)
    const restore = (): void => {
      for (const [key, value] of carried) {
        if (value !== undefined && sessionGet(req, key) === undefined) sessionSet(req, key, value)
      }
    }
    if (typeof done === 'function') {
      const cb = done
      return original.call(this, user, options, (err?: unknown) => {
        if (err !== undefined && err !== null) { cb(err); return }
        try {
          restore()
        } catch (restoreErr) {
          cb(restoreErr)
          return
        }
        cb()
      })
    }
    const result = original.call(this, user, options)
    if (isThenable(result)) return Promise.resolve(result).then((value) => { restore(); return value })
    restore()
    return result
  }
  target.logIn = wrapped
  if (typeof target.login === 'function') target.login = wrapped
}
