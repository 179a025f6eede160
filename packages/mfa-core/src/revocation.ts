// Sessions that can be revoked: at login a session gets a random id and an issued-at time, bound to the user like the
// MFA state. Logout revokes the id; "sign out of all sessions" revokes every session of the user issued before now.
// The guards, the strategy and the gateway ask the RevocationStore on each request and treat a revoked session as
// signed out, so a cookie copied before logout is useless afterwards (on every instance, with a shared store), also
// after the app changed how it keys its users: the identity is checked under its old key, then re-keyed, never replaced.
import { randomBytes } from 'node:crypto'
import { MAX_USER_KEY_LENGTH, clearMfa, sessionGet, sessionSet, userKeyOf, type SessionRequest, type UserKeyFn } from './session-state.js'
import { asStoreUnavailable, type RevocationStore } from './stores/types.js'

/** The session key of the session's identity. */
export const SESSION_IDENTITY_KEY = 'oktaMfaSession'
/**
 * How long a revocation is remembered by default: 25 h (at least your sessions' lifetime). An hour more than
 * @fastify/secure-session's default cookie lifetime (24 h and 1 s after its last write, timestamped to the nearest
 * second), so that a cookie copied just before the logout never outlives its revocation.
 */
export const DEFAULT_REVOCATION_TTL_MS = 25 * 60 * 60_000

/** The identity of a signed-in session. */
export interface SessionIdentity {
  /** Random, 128 bits, base64url. */
  sessionId: string
  /** When the session was signed in, ms since the epoch. */
  issuedAt: number
  /** {@link userKeyOf} of the user it belongs to. */
  userKey: string
}

/** Options of the functions below. */
export interface SessionIdentityOptions {
  /** The signed-in user. @default req.user */
  user?: unknown
  /** Overrides {@link userKeyOf}. */
  userKey?: UserKeyFn | undefined
  /** Time source in ms. @default Date.now */
  clock?: (() => number) | undefined
}

function userOf (req: SessionRequest, options: SessionIdentityOptions): unknown {
  return 'user' in options ? options.user : req.user
}

/** The session's identity when it belongs to `userKey`. */
export function getSessionIdentity (req: SessionRequest, userKey: string): SessionIdentity | undefined {
  const identity = storedIdentity(req)
  return identity?.userKey === userKey ? identity : undefined
}

/** The session's identity as it is stored, whatever its user key; undefined when there is none or it is malformed. */
function storedIdentity (req: SessionRequest): SessionIdentity | undefined {
  const raw = sessionGet(req, SESSION_IDENTITY_KEY)
  if (typeof raw !== 'object' || raw === null) return undefined
  const s = raw as Record<string, unknown>
  if (typeof s.userKey !== 'string' || s.userKey === '' || s.userKey.length > MAX_USER_KEY_LENGTH) return undefined
  if (typeof s.sessionId !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(s.sessionId)) return undefined
  if (typeof s.issuedAt !== 'number' || !Number.isFinite(s.issuedAt)) return undefined
  return { sessionId: s.sessionId, issuedAt: s.issuedAt, userKey: s.userKey }
}

/**
 * Gives the session a new identity for its user and forgets its MFA step: call it right after your password login
 * (passport regenerates the session there). The guards and the gateway give one lazily to a signed-in session that has
 * none, but only an identity written at login covers a cookie copied before the first guarded request, and only a new
 * one lets a browser whose sessions were revoked sign in again with `keepSessionInfo` (which carries the revoked id).
 *
 * @example
 * await request.logIn(user); startSession(request, { user })
 */
export function startSession (req: SessionRequest, options: SessionIdentityOptions = {}): SessionIdentity {
  // A new sign-in asks for the code again: a login that keeps the session's data (passport's `keepSessionInfo`) would
  // otherwise carry the MFA step of the session it replaces, a revoked one included.
  clearMfa(req)
  return newIdentity(req, options)
}

function newIdentity (req: SessionRequest, options: SessionIdentityOptions): SessionIdentity {
  const identity = unsavedIdentity(userKeyOf(userOf(req, options), options.userKey), options)
  sessionSet(req, SESSION_IDENTITY_KEY, identity)
  return identity
}

/** A new identity of `userKey`, not yet in the session. */
function unsavedIdentity (userKey: string, options: SessionIdentityOptions): SessionIdentity {
  return { sessionId: randomBytes(16).toString('base64url'), issuedAt: (options.clock ?? Date.now)(), userKey }
}

/**
 * The session's identity for its user, given one now when it has none. An identity stored under another user key (the
 * app changed its `userKey`, or renamed the login it uses as key) is re-keyed: same id, same issued-at time, so every
 * copy of the cookie keeps one id and a revocation issued after that time still covers it. Unlike {@link startSession}
 * it keeps the session's MFA step (which stays bound to the old key): it is what the guards call on a signed-in
 * session. It does not ask the store: {@link isSessionRevoked} checks the stored identity before it re-keys it.
 */
export function ensureSession (req: SessionRequest, options: SessionIdentityOptions = {}): SessionIdentity {
  const userKey = userKeyOf(userOf(req, options), options.userKey)
  const stored = storedIdentity(req)
  if (stored === undefined) return newIdentity(req, { ...options, user: userOf(req, options) })
  if (stored.userKey === userKey) return stored
  const identity: SessionIdentity = { sessionId: stored.sessionId, issuedAt: stored.issuedAt, userKey }
  sessionSet(req, SESSION_IDENTITY_KEY, identity)
  return identity
}

/**
 * Whether the signed-in session was revoked (its id, or its user since it was issued). One store round trip; two the
 * first time after its user key changed: its identity is asked about as stored (old key) before {@link ensureSession}
 * re-keys it, so neither a logout nor a "sign out of all sessions" made before the change is forgotten. A session
 * without an identity is given one (as ensureSession does) once the store has said it is not revoked: nothing is
 * written to a session the store could not judge.
 *
 * @throws StoreUnavailableError when the store cannot answer, whatever it rejects with: callers refuse the request (fail
 *   closed).
 */
export async function isSessionRevoked (req: SessionRequest, store: RevocationStore, options: SessionIdentityOptions = {}): Promise<boolean> {
  const userKey = userKeyOf(userOf(req, options), options.userKey)
  const stored = storedIdentity(req)
  if (stored === undefined) {
    // Written (as ensureSession would) only once the store has said it is not revoked: a write is a renewal, and a
    // request refused because the store cannot answer must leave the session as it came.
    const identity = unsavedIdentity(userKey, options)
    if (await askStore(store, identity)) return true
    sessionSet(req, SESSION_IDENTITY_KEY, identity)
    return false
  }
  if (stored.userKey === userKey) return await askStore(store, stored) // the common case: the key is computed once
  if (await askStore(store, stored)) return true
  // Re-keyed only once the new key is known not revoked: writing to a revoked session renews its cookie (a cookie
  // session's lifetime starts again at each write), so a copy would outlive the revocation.
  const identity: SessionIdentity = { sessionId: stored.sessionId, issuedAt: stored.issuedAt, userKey }
  if (await askStore(store, identity)) return true
  sessionSet(req, SESSION_IDENTITY_KEY, identity)
  return false
}

async function askStore (store: RevocationStore, identity: SessionIdentity): Promise<boolean> {
  try {
    return await store.isRevoked(identity.sessionId, identity.userKey, identity.issuedAt)
  } catch (err) {
    throw asStoreUnavailable(err) // a store of your own failing with its own error too: fail closed
  }
}

/**
 * Revokes this session (call it at logout, before the session is cleared): every copy of its cookie is refused after.
 *
 * @example
 * await revokeSession(request, revocations); await request.logOut()
 */
export async function revokeSession (req: SessionRequest, store: RevocationStore, options: SessionIdentityOptions & {
  /** How long the store remembers the revocation, in ms. @default {@link DEFAULT_REVOCATION_TTL_MS} (25 h) */
  ttlMs?: number | undefined
} = {}): Promise<void> {
  const raw = sessionGet(req, SESSION_IDENTITY_KEY) as { sessionId?: unknown } | undefined
  if (typeof raw?.sessionId === 'string') {
    try {
      await store.revokeSession(raw.sessionId, options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS)
    } catch (err) {
      throw asStoreUnavailable(err) // a store of your own failing with its own error: 503 STORE_UNAVAILABLE, not a 500
    }
  }
  sessionSet(req, SESSION_IDENTITY_KEY, undefined)
}

/**
 * "Sign out of all sessions": revokes every session of the user issued until now, this one included.
 *
 * @example
 * await revokeUserSessions(revocations, userKeyOf(request.user))
 */
export async function revokeUserSessions (store: RevocationStore, userKey: string, options: {
  /** Time source in ms: revokes the sessions issued until its now. @default Date.now */
  clock?: (() => number) | undefined
  /** How long the store remembers the revocation, in ms. @default {@link DEFAULT_REVOCATION_TTL_MS} (25 h) */
  ttlMs?: number | undefined
} = {}): Promise<void> {
  try {
    await store.revokeUser(userKey, (options.clock ?? Date.now)(), options.ttlMs ?? DEFAULT_REVOCATION_TTL_MS)
  } catch (err) {
    throw asStoreUnavailable(err)
  }
}
