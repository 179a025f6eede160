// A revoked session is signed out before any route writes to it. Every save renews a session's lifetime (the record's
// TTL in Redis, the cookie's maxAge), so a session revoked with its record kept ("sign out of all sessions" of another
// browser) that some page kept saving would outlive its revocation and be let in once the store forgot it.
import type { RequestHandler } from 'express'
import { clearMfa, isSessionRevoked, type RevocationStore } from 'passport-okta-mfa'

/** The middleware, after passport's session middleware and before anything that may save the session. */
export function signOutRevoked (revocations: RevocationStore, clockOption: { clock?: () => number }): RequestHandler {
  return (req, _res, next) => {
    if (req.user === undefined) { next(); return }
    isSessionRevoked(req, revocations, { user: req.user, ...clockOption }).then((revoked) => {
      if (!revoked) { next(); return }
      clearMfa(req)
      req.logout(next) // regenerates the session: the record every copy of its cookie names is gone
    }, next) // the store cannot answer: STORE_UNAVAILABLE (503), nothing saved
  }
}
