// What the session remembers about the signed-in user's Okta side, bound to the app user like the MFA state: the
// resolved Okta user id (so a verify costs one Okta call, not three) and, for a short time, the factor list.
import { sessionGet, sessionSet, type SessionRequest } from './session-state.js'
import type { OktaFactorLike } from './okta-port.js'

/** The session key of the Okta binding. */
export const OKTA_USER_SESSION_KEY = 'oktaMfaUser'
/**
 * How long the factor list stays cached in the session: 30 s. Enroll, activate and remove drop it at once; a list
 * that does not hold the factor asked for is fetched again before the answer is "not found".
 */
export const FACTOR_CACHE_TTL_MS = 30_000
/** Lists longer than this are not cached (a session cookie has little room). */
export const MAX_CACHED_FACTORS = 16

/** One factor as the cache keeps it: what choosing a factor and the enrollment rules read. */
export interface CachedFactor {
  /** Okta's factor id. */
  id: string
  /** Okta's factor type, e.g. `token:software:totp`. */
  factorType: string
  /** Okta's factor status, e.g. `ACTIVE`. */
  status: string
  /** Okta's provider, e.g. `OKTA` or `GOOGLE`. */
  provider?: string | undefined
}

/** The session's Okta binding. */
export interface OktaUserBinding {
  /** The app user it belongs to ({@link userKeyOf}); void for any other user. */
  userKey: string
  /** The Okta user id the app user resolved to. */
  oktaUserId: string
  /** The user's factor list as last fetched, when cached (lists of at most {@link MAX_CACHED_FACTORS}). */
  factors?: CachedFactor[] | undefined
  /** When `factors` was fetched, ms since the epoch. */
  factorsAt?: number | undefined
}

function str (value: unknown, max: number): value is string {
  return typeof value === 'string' && value !== '' && value.length <= max
}

function parseFactors (raw: unknown): CachedFactor[] | undefined {
  if (!Array.isArray(raw) || raw.length > MAX_CACHED_FACTORS) return undefined
  const out: CachedFactor[] = []
  for (const f of raw as unknown[]) {
    if (typeof f !== 'object' || f === null) return undefined
    const r = f as Record<string, unknown>
    if (!str(r.id, 64) || !str(r.factorType, 64) || !str(r.status, 32)) return undefined
    out.push(str(r.provider, 32) ? { id: r.id, factorType: r.factorType, status: r.status, provider: r.provider } : { id: r.id, factorType: r.factorType, status: r.status })
  }
  return out
}

/** The Okta binding of this session for `userKey`, or undefined (none, malformed, or another user's). */
export function getOktaUserBinding (req: SessionRequest, userKey: string): OktaUserBinding | undefined {
  const raw = sessionGet(req, OKTA_USER_SESSION_KEY)
  if (typeof raw !== 'object' || raw === null) return undefined
  const b = raw as Record<string, unknown>
  if (b.userKey !== userKey || !str(b.oktaUserId, 128)) return undefined
  const factors = parseFactors(b.factors)
  const factorsAt = typeof b.factorsAt === 'number' && Number.isFinite(b.factorsAt) ? b.factorsAt : undefined
  return factors === undefined || factorsAt === undefined
    ? { userKey, oktaUserId: b.oktaUserId }
    : { userKey, oktaUserId: b.oktaUserId, factors, factorsAt }
}

/** Remembers the Okta user id of `userKey` in the session (dropping any cached factor list). */
export function bindOktaUser (req: SessionRequest, userKey: string, oktaUserId: string): void {
  sessionSet(req, OKTA_USER_SESSION_KEY, { userKey, oktaUserId })
}

/** The cached factor list of `userKey` when younger than `ttlMs` at `now`. */
export function cachedFactors (req: SessionRequest, userKey: string, now: number, ttlMs = FACTOR_CACHE_TTL_MS): CachedFactor[] | undefined {
  const binding = getOktaUserBinding(req, userKey)
  if (binding?.factors === undefined || binding.factorsAt === undefined) return undefined
  const age = now - binding.factorsAt
  return age >= 0 && age < ttlMs ? binding.factors : undefined
}

/** Caches `factors` for the bound user (a no-op without a binding for `userKey`, or for a long list). */
export function cacheFactors (req: SessionRequest, userKey: string, factors: readonly OktaFactorLike[], now: number): void {
  const binding = getOktaUserBinding(req, userKey)
  if (binding === undefined) return
  if (factors.length > MAX_CACHED_FACTORS) {
    bindOktaUser(req, userKey, binding.oktaUserId)
    return
  }
  const compact: CachedFactor[] = factors.map((f) => typeof f.provider === 'string'
    ? { id: f.id, factorType: f.factorType, status: f.status, provider: f.provider }
    : { id: f.id, factorType: f.factorType, status: f.status })
  sessionSet(req, OKTA_USER_SESSION_KEY, { userKey, oktaUserId: binding.oktaUserId, factors: compact, factorsAt: now })
}

/** Drops the cached factor list (after enroll, activate, remove), keeping the Okta user id. */
export function dropCachedFactors (req: SessionRequest): void {
  const raw = sessionGet(req, OKTA_USER_SESSION_KEY)
  if (typeof raw !== 'object' || raw === null) return
  const b = raw as Record<string, unknown>
  if (typeof b.userKey === 'string' && typeof b.oktaUserId === 'string') bindOktaUser(req, b.userKey, b.oktaUserId)
  else sessionSet(req, OKTA_USER_SESSION_KEY, undefined)
}

/** Forgets the Okta binding (at logout, or when Okta no longer knows the id). */
export function clearOktaUserBinding (req: SessionRequest): void {
  sessionSet(req, OKTA_USER_SESSION_KEY, undefined)
}
