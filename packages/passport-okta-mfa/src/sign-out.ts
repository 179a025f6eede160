// A revoked session is signed out, not only refused: passport's logout takes the user out of it. With express-session
// that regenerates the session and destroys the record every copy of its cookie named, so the person's next password
// login starts a new session instead of carrying the revoked id along (`keepSessionInfo`) and being refused for as long
// as the revocation lasts. With a cookie session it writes a signed-out cookie; a copy of the old one stays revoked.
import { isThenable } from './thenable.js'

/**
 * Runs passport's logout on the request when it has one: Express's `req.logout(done)` (passport 0.6 and later) or
 * @fastify/passport's `request.logOut()` (a promise). Never throws: a logout that fails leaves the request refused.
 */
export async function signOutRevoked (req: object): Promise<void> {
  const r = req as { logout?: unknown, logOut?: unknown }
  const logout = typeof r.logout === 'function' ? r.logout : typeof r.logOut === 'function' ? r.logOut : undefined
  if (logout === undefined) return
  await new Promise<void>((resolve) => {
    try {
      const result: unknown = (logout as (done: (err?: unknown) => void) => unknown).call(req, () => { resolve() })
      if (isThenable(result)) {
        result.then(() => { resolve() }, () => { resolve() })
      } else if ((logout as () => unknown).length === 0) {
        resolve() // a synchronous logout that takes no callback (passport before 0.6): it is done
      }
    } catch {
      resolve()
    }
  })
}
