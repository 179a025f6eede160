// A revoked session is signed out, not only refused: passport's logout takes the user out of it. With express-session
// that regenerates the session and destroys the record every copy of its cookie named, so the person's next password
// login starts a new session instead of carrying the revoked id along (`keepSessionInfo`) and being refused for as long
// as the revocation lasts. With a cookie session it writes a signed-out cookie; a copy of the old one stays revoked.
//
// `signOutRevoked()` does it before any route of the app runs: a session written again is a session renewed (a cookie
// session's lifetime, a stored record's TTL), so a copy of a revoked cookie that an unguarded page kept writing would
// outlive its revocation and be let in again once the store forgot it.
import { clearMfa, isSessionRevoked, refuseUnknownOptions, sessionGet, type RevocationStore, type SessionRequest, type UserKeyFn } from '@okta-mfa/core'
import type { ConnectMiddleware } from './require-mfa.js'
import { isThenable } from './thenable.js'
import { InvalidOptionError, refusedAsOurs } from './invalid-option.js'

/** Options of {@link signOutRevoked}: the guards' `revocations`, `userKey` and `clock`. */
export interface SignOutRevokedOptions {
  /** Where revoked sessions are remembered: the store your logout revokes in, given to the strategy and the guards too. */
  revocations: RevocationStore
  /** The guards' and the strategy's `userKey`, when you give them one. @default userKeyOf */
  userKey?: UserKeyFn | undefined
  /** The guards' time source in ms. @default Date.now */
  clock?: (() => number) | undefined
}

/**
 * Checks the options the guards and {@link signOutRevoked} share.
 *
 * @throws TypeError naming the bad option.
 */
export function checkRevocationOptions (options: { revocations?: unknown, userKey?: unknown, clock?: unknown }): void {
  const { revocations, userKey, clock } = options
  if (revocations !== undefined && (typeof revocations !== 'object' || revocations === null ||
    typeof (revocations as Partial<RevocationStore>).isRevoked !== 'function')) {
    throw new InvalidOptionError('"revocations" option must implement RevocationStore')
  }
  if (clock !== undefined && typeof clock !== 'function') throw new InvalidOptionError('"clock" option must be a function')
  if (userKey !== undefined && typeof userKey !== 'function') throw new InvalidOptionError('"userKey" option must be a function')
}

const SIGN_OUT_OPTIONS: Record<keyof SignOutRevokedOptions, true> = { revocations: true, userKey: true, clock: true }

/**
 * Signs a revoked session out before any route, hook or page of the app may write to it: its user is logged out
 * (passport's logout) and its MFA step forgotten, so the request goes on signed out. One middleware for both stacks:
 *
 * - Express: `app.use(signOutRevoked({ revocations }))`, right after `passport.session()`.
 * - Fastify: `app.addHook('preValidation', signOutRevoked({ revocations }))`, right after
 *   `app.register(passport.secureSession())` (whose own `preValidation` hook reads the session's user).
 *
 * A request without a signed-in user goes on untouched. While the store cannot answer, the request fails with
 * `StoreUnavailableError` (503, `STORE_UNAVAILABLE`) as the guards do, and nothing of it is written: the app's error
 * handler answers it. A logout that fails passes its error on the same way.
 *
 * @throws TypeError for a bad option, or when called without a `next` callback.
 * @example
 * app.addHook('preValidation', signOutRevoked({ revocations, userKey, clock }))
 */
export function signOutRevoked (options: SignOutRevokedOptions): ConnectMiddleware {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('signOutRevoked options must be an object')
  refusedAsOurs(() => { refuseUnknownOptions(options, SIGN_OUT_OPTIONS, 'signOutRevoked') })
  if (options.revocations === undefined) throw new InvalidOptionError('"revocations" option is required')
  checkRevocationOptions(options)
  const { revocations, userKey, clock } = options
  return function signOutRevokedMiddleware (req: object, _res: unknown, next: (err?: unknown) => void): void {
    if (typeof next !== 'function') {
      throw new InvalidOptionError('signOutRevoked() is a middleware: give it to app.use() (Express) or to addHook(\'preValidation\') (Fastify)')
    }
    const request = req as SessionRequest
    const user = request.user
    if (user === undefined || user === null || user === false) {
      // A session holding passport's user that is not on req.user: registered too early (or passport's userProperty
      // changed), it would let every revoked session through without a word, as the guards would refuse every one.
      next(passportUserIn(request) ? new InvalidOptionError(MISPLACED) : undefined)
      return
    }
    isSessionRevoked(request, revocations, { user, userKey, clock }).then(async (revoked) => {
      if (!revoked) return
      clearMfa(request) // also where a logout keeps the session's data
      await logOut(request)
    }).then(() => { next() }, next)
  } as ConnectMiddleware
}

const MISPLACED = 'signOutRevoked() found no req.user in a signed-in session: register it right after ' +
  'passport.session() (Express) or passport.secureSession() (Fastify), with passport\'s userProperty left as "user"'

/**
 * Whether the session holds a user passport serialized into it under its default key: `{ user }` with express-session
 * (passport removes `user` when it cannot be read back), the user itself with @fastify/secure-session (@fastify/passport
 * logs such a session out).
 */
function passportUserIn (req: SessionRequest): boolean {
  const stored = sessionGet(req, 'passport')
  const session = req.session as { get?: unknown } | undefined
  const user = typeof session?.get === 'function' ? stored : (stored as { user?: unknown } | undefined)?.user
  return Boolean(user) || user === 0 // what passport and @fastify/passport 3 read back
}

/**
 * Runs passport's logout on the request when it has one: Express's `req.logout(done)` (passport 0.6 and later) or
 * @fastify/passport's `request.logOut()` (a promise). Never throws: a logout that fails leaves the request refused.
 */
export async function logOutRevoked (req: object): Promise<void> {
  const r = req as { logout?: unknown, logOut?: unknown }
  if (typeof r.logout !== 'function' && typeof r.logOut !== 'function') return
  await logOut(req).catch(() => undefined)
}

/** Passport's logout, resolved once it is done; rejects with its error, or when the request has no passport. */
async function logOut (req: object): Promise<void> {
  const r = req as { logout?: unknown, logOut?: unknown }
  const logout = typeof r.logout === 'function' ? r.logout : typeof r.logOut === 'function' ? r.logOut : undefined
  if (logout === undefined) throw new InvalidOptionError('signOutRevoked() needs passport: register it after passport\'s session middleware')
  await new Promise<void>((resolve, reject) => {
    const result: unknown = (logout as (done: (err?: unknown) => void) => unknown).call(req, (err?: unknown) => {
      if (err === undefined || err === null) resolve()
      else reject(err)
    })
    if (isThenable(result)) {
      result.then(() => { resolve() }, reject)
    } else if ((logout as () => unknown).length === 0) {
      resolve() // a synchronous logout that takes no callback (passport before 0.6): it is done
    }
  })
}
