// The session store without REDIS_URL: express-session's MemoryStore keeps every session forever (a cookie without
// maxAge never expires there), so each cookie-less visit to /login would cost memory until restart. This one is a Map
// with a cap (the least recently used session goes first) and an idle lifetime, so a flood of visits stays bounded.
import session, { type SessionData } from 'express-session'

/** How many sessions the in-process store keeps before it drops the least recently used one. */
export const DEFAULT_MAX_SESSIONS = 10_000

/** How long a session lasts unused: a day once someone signed in, 15 minutes before (a visit to /login). */
export const SESSION_TTL_SECONDS = { signedIn: 86_400, anonymous: 900 } as const

/**
 * A session's idle lifetime in seconds (in Redis and in this process alike): anonymous ones (a CSRF token for the
 * sign-in form, a message) are cheap to make, so they go soon.
 */
export function sessionTtlSeconds (sess: SessionData): number {
  const user = (sess as { passport?: { user?: unknown } }).passport?.user
  return user === undefined ? SESSION_TTL_SECONDS.anonymous : SESSION_TTL_SECONDS.signedIn
}

/** Expired sessions behind a live one are swept at most this often (a pass over at most `maxSessions`). */
const SWEEP_INTERVAL_MS = 60_000

/** Options of {@link BoundedMemoryStore}. */
export interface BoundedMemoryStoreOptions {
  /** Sessions kept at most; a new one beyond drops the least recently used. @default DEFAULT_MAX_SESSIONS */
  maxSessions?: number
  /** Time source in ms. @default Date.now */
  clock?: () => number
}

interface Entry { json: string, expiresAt: number }

/**
 * An express-session store in this process, bounded in count and idle time. Sessions are kept as JSON (what a
 * request changes without saving does not leak into the store), in a Map ordered from least to most recently used.
 *
 * @example
 * app.use(session({ secret, store: new BoundedMemoryStore({ maxSessions: 10_000 }), resave: false, saveUninitialized: false }))
 */
export class BoundedMemoryStore extends session.Store {
  readonly maxSessions: number
  private readonly sessions = new Map<string, Entry>()
  private readonly now: () => number
  private nextSweep = 0

  constructor (options: BoundedMemoryStoreOptions = {}) {
    super()
    const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS
    if (!Number.isSafeInteger(max) || max < 1) throw new TypeError('"maxSessions" option must be a whole number above 0')
    this.maxSessions = max
    this.now = options.clock ?? Date.now
  }

  /** Sessions held now (expired ones not yet swept included). */
  get size (): number { return this.sessions.size }

  override get (sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    const entry = this.live(sid)
    setImmediate(callback, null, entry === undefined ? null : JSON.parse(entry.json) as SessionData)
  }

  override set (sid: string, sess: SessionData, callback?: (err?: unknown) => void): void {
    const now = this.now()
    if (now >= this.nextSweep) {
      for (const [id, entry] of this.sessions) if (entry.expiresAt <= now) this.sessions.delete(id)
      this.nextSweep = now + SWEEP_INTERVAL_MS
    }
    this.sessions.delete(sid) // re-inserted last: the most recently used
    // Full: the least recently used session goes (its user is signed out).
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!)
    this.sessions.set(sid, { json: JSON.stringify(sess), expiresAt: now + sessionTtlSeconds(sess) * 1000 })
    if (callback !== undefined) setImmediate(callback, null)
  }

  /** express-session calls it for a request that used its session without changing it: a new idle lifetime. */
  override touch (sid: string, sess: SessionData, callback?: () => void): void {
    const entry = this.live(sid)
    if (entry !== undefined) {
      this.sessions.delete(sid)
      this.sessions.set(sid, { json: entry.json, expiresAt: this.now() + sessionTtlSeconds(sess) * 1000 })
    }
    if (callback !== undefined) setImmediate(callback)
  }

  override destroy (sid: string, callback?: (err?: unknown) => void): void {
    this.sessions.delete(sid)
    if (callback !== undefined) setImmediate(callback, null)
  }

  /** The session's entry unless it is missing or expired (an expired one is dropped). */
  private live (sid: string): Entry | undefined {
    const entry = this.sessions.get(sid)
    if (entry === undefined || entry.expiresAt > this.now()) return entry
    this.sessions.delete(sid)
    return undefined
  }
}
