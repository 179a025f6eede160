// The demo's revocation check: passport-okta-mfa's signOutRevoked before every route, with the demo's policy while the
// store cannot answer. A cookie session written again is renewed, so a copy of a revoked cookie that some page kept
// writing would outlive its revocation (passport-okta-mfa's README, "Logout and revocation").
import type { FastifyRequest, preValidationHookHandler } from 'fastify'
import { SESSION_IDENTITY_KEY } from '@okta-mfa/core'
import { isStoreUnavailableError, sessionGet, signOutRevoked, type SignOutRevokedOptions } from 'passport-okta-mfa'

/** What an unchecked request's session held: its passport user and its identity's id. */
interface Unchecked { err: unknown, holder: string }

/**
 * Which requests passed the check, and which the store could not judge. While the store cannot answer, a page that
 * needs no sign-in is still served and Sign out still signs out (the signed-in pages answer 503), but such a session
 * goes out as it came: nothing written, so nothing renewed.
 *
 * @example
 * const check = new RevocationCheck()
 * app.addHook('preValidation', check.hook({ revocations, clock })) // after passport.secureSession()
 */
export class RevocationCheck {
  readonly #passed = new WeakSet<FastifyRequest>()
  readonly #unchecked = new WeakMap<FastifyRequest, Unchecked>()

  /** The `preValidation` hook, registered right after `passport.secureSession()`. */
  hook (options: SignOutRevokedOptions): preValidationHookHandler {
    const signOut = signOutRevoked(options)
    return (request, reply, done) => {
      signOut(request, reply, (err?: unknown) => {
        if (err === undefined) this.#passed.add(request)
        else if (isStoreUnavailableError(err)) this.#unchecked.set(request, { err, holder: holderOf(request) })
        else { done(err as Error); return }
        done()
      })
    }
  }

  /** Whether passport read the request's session and the check ran (a revoked session was signed out). */
  passed (request: FastifyRequest): boolean {
    return this.#passed.has(request)
  }

  /** Throws the store's error when the check of this signed-in request could not be made. */
  throwIfUnchecked (request: FastifyRequest): void {
    const unchecked = this.#unchecked.get(request)
    if (unchecked !== undefined) throw unchecked.err
  }

  /**
   * In an `onSend` hook before secure-session's: an unchecked session that still holds the user and identity it came
   * with is not written (a page's `returnTo`, a CSRF token, a key rotation's re-sealing). One signed out (deleted, or
   * emptied by a logout) or replaced by a new login is.
   */
  holdBack (request: FastifyRequest): void {
    const unchecked = this.#unchecked.get(request)
    const session = request.session
    if (unchecked !== undefined && !session.deleted && holderOf(request) === unchecked.holder) session.changed = false
  }
}

function holderOf (request: FastifyRequest): string {
  const identity = sessionGet(request, SESSION_IDENTITY_KEY) as { sessionId?: unknown } | undefined
  return JSON.stringify([sessionGet(request, 'passport') ?? null, identity?.sessionId ?? null])
}
