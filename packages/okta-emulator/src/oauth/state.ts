// What the emulator's authorization server remembers: the service apps, the access tokens it
// issued, the assertion and proof ids it has seen (replay), and its DPoP nonces. Everything is
// bounded: expired entries are swept as time passes, and past `maxOAuthRecords` the oldest go first
// (the rate limits keep them below it; without rate limits a flood could otherwise fill memory).
import { randomBytes } from 'node:crypto'
import { DEFAULT_MAX_OAUTH_RECORDS } from '../limits.js'
import type { AppRecord } from './apps.js'

/** An access token the emulator issued. */
export interface TokenRecord {
  clientId: string
  scopes: ReadonlySet<string>
  expiresAt: number
  /** JWK SHA-256 thumbprint of the DPoP key the token is bound to; undefined for a Bearer token. */
  jkt: string | undefined
  /** base64url SHA-256 of the token (the `ath` its proofs must carry). */
  ath: string
}

/** Lifetime of an access token, seconds (Okta's `expires_in` for the org authorization server). */
export const TOKEN_LIFETIME_S = 3600
/** How long a DPoP nonce stays valid, ms. */
export const NONCE_LIFETIME_MS = 5 * 60_000
/** How far from the emulator's clock a DPoP proof's `iat` may be, seconds. */
export const PROOF_IAT_WINDOW_S = 60

/**
 * Makes room in `map` for one more entry, past `max`, by dropping its oldest (a Map iterates in insertion order). One
 * iterator is kept across calls: a new one would walk again past every entry deleted before it (V8 leaves them in
 * place until it compacts the table), costing each request the whole map once it is full. Expired entries go in the
 * periodic sweeps.
 */
function roomMaker (map: Map<string, unknown>, max: number): () => void {
  let keys = map.keys()
  return () => {
    while (map.size >= max) {
      let next = keys.next()
      if (next.done === true) {
        keys = map.keys()
        next = keys.next()
      }
      if (next.done === true) return
      map.delete(next.value)
    }
  }
}

/** One expiring set of ids (jti), swept lazily, at most `max` of them. */
class SeenIds {
  readonly #ids = new Map<string, number>()
  readonly #makeRoom: () => void
  #nextSweep = 0

  constructor (max: number) {
    this.#makeRoom = roomMaker(this.#ids, max)
  }

  /** Records `id` until `until`; false when it was already there. */
  add (id: string, until: number, now: number): boolean {
    if (now >= this.#nextSweep) {
      for (const [k, exp] of this.#ids) if (exp <= now) this.#ids.delete(k)
      this.#nextSweep = now + 10_000
    }
    const seen = this.#ids.get(id)
    if (seen !== undefined && seen > now) return false
    // Deleted first, so a re-recorded id counts as the newest.
    this.#ids.delete(id)
    this.#makeRoom()
    this.#ids.set(id, until)
    return true
  }

  /** Forgets `id` (a proof whose request was refused 429 is not spent). */
  delete (id: string): void {
    this.#ids.delete(id)
  }

  /** Whether `id` is recorded and not yet expired at `now`. */
  has (id: string, now: number): boolean {
    return this.until(id, now) !== undefined
  }

  /** Until when `id` is recorded; undefined when it is not, or no longer at `now`. */
  until (id: string, now: number): number | undefined {
    const seen = this.#ids.get(id)
    return seen !== undefined && seen > now ? seen : undefined
  }
}

/** The authorization server's state. */
export class OAuthState {
  readonly apps = new Map<string, AppRecord>()
  readonly tokens = new Map<string, TokenRecord>()
  /** Client assertion ids judged at the emulator's clock, until they expire in emulator time. */
  readonly assertionIds: SeenIds
  /** Client assertion ids judged at the wall clock (as a client signs them), until they expire in wall time. */
  readonly wallAssertionIds: SeenIds
  readonly proofIds: SeenIds
  /**
   * DPoP proofs a 429 gave back, by `jti`, until the answer's rate-limit reset plus the `iat` window: a client that
   * resends the same proof after the wait the 429 named (Okta's SDK does) is not refused for its `iat`.
   */
  readonly heldProofs: SeenIds
  /** Token requests received (any outcome). */
  tokenRequests = 0
  /** API requests that presented an SSWS API token (any outcome). */
  sswsRequests = 0
  #nonces = new Map<string, number>()
  #current: { value: string, until: number } | undefined
  #nextTokenSweep = 0
  readonly #makeTokenRoom: () => void

  constructor (readonly clock: () => number, readonly apiNonce: boolean, maxRecords = DEFAULT_MAX_OAUTH_RECORDS) {
    this.#makeTokenRoom = roomMaker(this.tokens, maxRecords)
    this.assertionIds = new SeenIds(maxRecords)
    this.wallAssertionIds = new SeenIds(maxRecords)
    this.proofIds = new SeenIds(maxRecords)
    this.heldProofs = new SeenIds(maxRecords)
  }

  /** The nonce to hand out now (a fresh one once the current one is past half its life). */
  nonce (): string {
    const now = this.clock()
    if (this.#current === undefined || this.#current.until - now < NONCE_LIFETIME_MS / 2) {
      for (const [k, until] of this.#nonces) if (until <= now) this.#nonces.delete(k)
      this.#current = { value: randomBytes(16).toString('base64url'), until: now + NONCE_LIFETIME_MS }
      this.#nonces.set(this.#current.value, this.#current.until)
    }
    return this.#current.value
  }

  /** True when `nonce` is one the emulator handed out and it has not expired. */
  nonceValid (nonce: unknown): boolean {
    if (typeof nonce !== 'string') return false
    const until = this.#nonces.get(nonce)
    return until !== undefined && until > this.clock()
  }

  /** Makes every nonce handed out so far stale (the next proof carrying one gets use_dpop_nonce). */
  rotateNonces (): void {
    this.#nonces.clear()
    this.#current = undefined
  }

  /** Stores a new token. */
  addToken (token: string, record: TokenRecord): void {
    const now = this.clock()
    if (now >= this.#nextTokenSweep) {
      for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k)
      this.#nextTokenSweep = now + 60_000
    }
    this.#makeTokenRoom()
    this.tokens.set(token, record)
  }

  /** Ends the tokens of one client (or all): `expire` makes them expired, otherwise they are revoked (unknown). */
  endTokens (clientId: string | undefined, expire: boolean): number {
    let n = 0
    const now = this.clock()
    for (const [k, t] of this.tokens) {
      if (clientId !== undefined && t.clientId !== clientId) continue
      if (expire) t.expiresAt = Math.min(t.expiresAt, now)
      else this.tokens.delete(k)
      n++
    }
    return n
  }
}
