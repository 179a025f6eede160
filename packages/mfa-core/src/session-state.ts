// The one place that reads and writes "this session completed MFA": the strategy, both guards and the gateway all
// go through here, so the form path and the GraphQL path agree on what counts. The state is bound to the user.

import { hash } from 'node:crypto'
import { normalizeUsername } from './account-name.js'
import { InvalidOptionError } from './invalid-option.js'

/** The key under which the MFA state is kept in the session. */
export const MFA_SESSION_KEY = 'oktaMfa'

/**
 * How the MFA step was completed: a code through the strategy's form (`form`) or the gateway (`graphql`), or a
 * remembered device's cookie (`remembered`, {@link RememberedDevices}: no code was entered in this session).
 */
export type MfaMethod = 'form' | 'graphql' | 'remembered'

/** What the session remembers about the last completed MFA step. */
export interface MfaState {
  /** {@link userKeyOf} of the user who completed the step; the state is void for any other user. */
  userKey: string
  /** The Okta factor that was verified. */
  factorId: string
  /** Which path verified it. */
  method: MfaMethod
  /** When, in milliseconds since the epoch. */
  completedAt: number
}

/** Maps the app's user object to a stable string; see {@link userKeyOf}. */
export type UserKeyFn = (user: unknown) => string

/**
 * A request that carries a session: express-session's `req.session` (a plain object) or
 * @fastify/secure-session's `request.session` (`get`/`set`), and passport's `user`.
 */
export interface SessionRequest {
  /** The session: express-session's plain object or @fastify/secure-session's (`get`/`set`). */
  session?: unknown
  /** Passport's signed-in user. */
  user?: unknown
}

/** Options shared by the readers and writers of the MFA state. */
export interface MfaStateOptions {
  /** The user to bind to. @default req.user */
  user?: unknown
  /** Overrides {@link userKeyOf}. */
  userKey?: UserKeyFn | undefined
}

interface GetSetSession {
  get: (key: string) => unknown
  set: (key: string, value: unknown) => void
}

/** Longest user key derived or accepted; keys also reach stores only hashed. */
export const MAX_USER_KEY_LENGTH = 512

const METHODS: ReadonlySet<string> = new Set<MfaMethod>(['form', 'graphql', 'remembered'])
const KEY_FIELDS = ['id', '_id', 'userId', 'username', 'login', 'email'] as const
const NAME_FIELDS: ReadonlySet<string> = new Set(['username', 'login', 'email'])

/**
 * The stable key of an app user: a string or number as is, else the first of `id`, `_id`, `userId`,
 * `username`, `login`, `email` that is a non-empty string or a number. A `username`, `login` or `email` is taken
 * as {@link normalizeUsername} gives it (`Ada@Example.com` and `ada@example.com` are one key, as one Okta user); one
 * that normalizing lengthens past {@link MAX_USER_KEY_LENGTH} is keyed by its SHA-256 (`nfkc-sha256:…`).
 *
 * @throws TypeError when no key can be derived (pass a `userKey` function to the strategy and guards).
 * @example
 * userKeyOf({ id: 42, username: 'ada' }) // '42'
 */
export function userKeyOf (user: unknown, userKey?: UserKeyFn): string {
  if (userKey !== undefined) {
    const key = userKey(user)
    if (typeof key !== 'string' || key === '' || key.length > MAX_USER_KEY_LENGTH) {
      throw new InvalidOptionError(`"userKey" option must return a non-empty string of at most ${MAX_USER_KEY_LENGTH} characters`)
    }
    return key
  }
  if (typeof user === 'string' && user !== '' && user.length <= MAX_USER_KEY_LENGTH) return user
  if (typeof user === 'number' && Number.isFinite(user)) return String(user)
  if (typeof user === 'object' && user !== null) {
    const record = user as Record<string, unknown>
    for (const field of KEY_FIELDS) {
      const value = record[field]
      // A name a person types (username, login, e-mail) keys its account, whatever case or width it came in with:
      // Okta finds one user for `Ada@Example.com` and `ada@example.com`, so they share one attempt counter.
      if (typeof value === 'string' && NAME_FIELDS.has(field)) {
        const name = value.length <= MAX_USER_KEY_LENGTH ? normalizeUsername(value) : ''
        if (name === '') continue
        // NFKC may lengthen a name (U+FDFA is 18 characters): one over the bound is keyed by its digest, so that it still
        // fits where a key is stored (a session identity with a longer one was dropped, and no revocation reached it).
        return name.length <= MAX_USER_KEY_LENGTH ? name : `nfkc-sha256:${hash('sha256', name, 'base64url')}`
      }
      if (typeof value === 'string' && value !== '' && value.length <= MAX_USER_KEY_LENGTH) return value
      if (typeof value === 'number' && Number.isFinite(value)) return String(value)
      // A database id object (e.g. a MongoDB ObjectId) with its own toString; never "[object Object]".
      if (field === '_id' && typeof value === 'object' && value !== null && value.toString !== Object.prototype.toString) {
        const text = String(value)
        if (text !== '' && text.length <= MAX_USER_KEY_LENGTH) return text
      }
    }
  }
  throw new InvalidOptionError('cannot derive a key for this user: give it an "id" or pass the "userKey" option')
}

/**
 * Session classes seen to have `get`/`set` on their prototype. @fastify/secure-session's session is a Proxy that wraps
 * each method it hands out in a new Proxy, so checking both methods on every read and write cost two Proxies each
 * time. Its prototype (a Proxy without a `getPrototypeOf` trap shows its target's) lives as long as the class, where
 * remembering each per-request session would add a short-lived entry to a weak set on every request.
 */
const getSetPrototypes = new WeakSet<object>()

function isGetSet (session: object): session is GetSetSession {
  const proto = Object.getPrototypeOf(session) as Partial<GetSetSession> | null
  if (proto !== null && getSetPrototypes.has(proto)) return true
  const s = session as Partial<GetSetSession>
  if (typeof s.get !== 'function' || typeof s.set !== 'function') return false
  // Remembered only when the class itself has both methods, not for a plain object carrying its own get and set.
  if (proto !== null && proto !== Object.prototype && typeof proto.get === 'function' && typeof proto.set === 'function') getSetPrototypes.add(proto)
  return true
}

function sessionOf (req: SessionRequest): object | undefined {
  const session = req.session
  return typeof session === 'object' && session !== null ? session : undefined
}

/** Reads a value from either session flavour; undefined without a session. */
export function sessionGet (req: SessionRequest, key: string): unknown {
  const session = sessionOf(req)
  if (session === undefined) return undefined
  return isGetSet(session) ? session.get(key) : (session as Record<string, unknown>)[key]
}

/**
 * The request has no session (express-session or @fastify/secure-session is not registered before okta-mfa). A
 * `TypeError` (its `name`), with a stable `code` for an error handler to tell it apart.
 *
 * @example
 * app.use((err, req, res, next) => { if (err.code === 'OKTA_MFA_NO_SESSION') console.error('register a session first') })
 */
export class NoSessionError extends TypeError {
  /** Always `OKTA_MFA_NO_SESSION`. */
  readonly code = 'OKTA_MFA_NO_SESSION'
  constructor () {
    super('okta-mfa needs a session: register express-session or @fastify/secure-session first')
  }
}

/**
 * Writes (or with `undefined`, removes) a value in either session flavour.
 *
 * @throws NoSessionError (a TypeError) when the request has no session (session middleware missing).
 */
export function sessionSet (req: SessionRequest, key: string, value: unknown): void {
  const session = sessionOf(req)
  if (session === undefined) {
    if (value === undefined) return
    throw new NoSessionError()
  }
  if (isGetSet(session)) {
    session.set(key, value)
  } else if (value === undefined) {
    delete (session as Record<string, unknown>)[key]
  } else {
    (session as Record<string, unknown>)[key] = value
  }
}

function parseState (raw: unknown): MfaState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const s = raw as Record<string, unknown>
  if (typeof s.userKey !== 'string' || typeof s.factorId !== 'string') return undefined
  if (typeof s.method !== 'string' || !METHODS.has(s.method)) return undefined
  if (typeof s.completedAt !== 'number' || !Number.isFinite(s.completedAt)) return undefined
  return { userKey: s.userKey, factorId: s.factorId, method: s.method as MfaMethod, completedAt: s.completedAt }
}

/**
 * The MFA state of this session, or `undefined` when there is none, when it is malformed, when there
 * is no user, or when it belongs to another user than `req.user` (the session's user changed). A state of another user
 * is also removed from the session when read: after that, a later login of its user in this session does not bring
 * it back (the guards and the strategy read it on every request).
 *
 * @example
 * const state = getMfaState(req)
 * if (state === undefined) return res.redirect('/mfa')
 */
export function getMfaState (req: SessionRequest, options: MfaStateOptions = {}): MfaState | undefined {
  const state = parseState(sessionGet(req, MFA_SESSION_KEY))
  if (state === undefined) return undefined
  const user = 'user' in options ? options.user : req.user
  if (user === undefined || user === null || user === false) return undefined
  if (state.userKey === userKeyOf(user, options.userKey)) return state
  clearMfa(req)
  return undefined
}

/** What {@link recordMfa} needs to know. */
export interface RecordMfaInput {
  /** The user who completed the step (usually `req.user`). */
  user: unknown
  /** Okta id of the factor that was verified. */
  factorId: string
  /** How the step was completed. */
  method: MfaMethod
  /** Completion time in ms. @default Date.now() */
  now?: number | undefined
  /** Overrides {@link userKeyOf}. */
  userKey?: UserKeyFn | undefined
}

/** The session key marking an MFA state that came from a remembered device. */
export const REMEMBERED_SESSION_KEY = 'oktaMfaRemembered'

/**
 * Records a completed MFA step in the session, bound to the user, and returns the state written.
 * Call it after the primary login (a login regenerates the session and would drop it).
 *
 * @throws TypeError without a session or without a derivable user key.
 * @example
 * recordMfa(request, { user: request.user, factorId: 'ost1abc...', method: 'graphql' })
 */
export function recordMfa (req: SessionRequest, input: RecordMfaInput): MfaState {
  if (typeof input.factorId !== 'string' || input.factorId === '') throw new InvalidOptionError('"factorId" must be a non-empty string')
  if (!METHODS.has(input.method)) throw new InvalidOptionError('"method" must be "form", "graphql" or "remembered"')
  const state: MfaState = {
    userKey: userKeyOf(input.user, input.userKey),
    factorId: input.factorId,
    method: input.method,
    completedAt: input.now ?? Date.now(),
  }
  sessionSet(req, MFA_SESSION_KEY, state)
  // A step of its own: no longer the one a remembered device stood in for.
  if (sessionGet(req, REMEMBERED_SESSION_KEY) !== undefined) sessionSet(req, REMEMBERED_SESSION_KEY, undefined)
  return state
}

/**
 * Forgets the MFA state of this session. Call it at logout when the logout keeps the session
 * (passport's logout regenerates the session, which drops it too).
 *
 * @example
 * app.post('/logout', (req, res, next) => { clearMfa(req); req.logout(() => res.redirect('/')) })
 */
export function clearMfa (req: SessionRequest): void {
  sessionSet(req, MFA_SESSION_KEY, undefined)
}
