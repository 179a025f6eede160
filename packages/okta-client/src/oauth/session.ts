// The OAuth side of one client: the cached access token (one refresh in flight however many calls
// wait), the DPoP key, the server nonces, and the headers of each API request. Keys, assertions
// and tokens live in private fields only; nothing here logs.
import type { OktaApiError } from '../errors.js'
import { clientAssertion } from './assertion.js'
import { oauthApiError } from './challenge.js'
import { accessTokenHash, DpopSigner, htuOf } from './dpop.js'
import type { OAuthConfig } from './options.js'
import { postToken, type TokenEndpoint } from './token-endpoint.js'

/** A cached access token, with everything a request needs precomputed. */
export interface AccessToken {
  /** `Bearer <token>` or `DPoP <token>`. */
  readonly authorization: string
  /** `ath` of its proofs (DPoP tokens only). */
  readonly ath: string | undefined
  /** When to stop using it (shortly before it expires), ms since the epoch. */
  readonly refreshAt: number
}

/** The headers of one request and the token they carry. */
export interface Grant {
  token: AccessToken
  authorization: string
  dpop: string | undefined
}

/** Seconds before expiry a token is refreshed (at most half its lifetime). */
export const REFRESH_MARGIN_S = 60

/** Token requests with DPoP retry once when Okta asks for a nonce. */
export class OAuthSession {
  readonly #config: OAuthConfig
  readonly #endpoint: TokenEndpoint
  readonly #signer: DpopSigner | undefined
  #token: AccessToken | undefined
  #pending: Promise<AccessToken> | undefined
  /** Latest nonce of the authorization server (token endpoint) and of the API. */
  #asNonce: string | undefined
  #rsNonce: string | undefined
  /**
   * The failure of the refresh that followed a 401 of a token: a call whose 401 of that token comes in after the refresh
   * failed gets the same error (one refresh for every call that met the 401), instead of starting a token request of its
   * own. A call that did not meet the 401 tries again.
   */
  readonly #failedAfter = new WeakMap<AccessToken, { error: unknown }>()

  constructor (config: OAuthConfig, endpoint: TokenEndpoint) {
    this.#config = config
    this.#endpoint = endpoint
    this.#signer = config.dpop ? new DpopSigner() : undefined
  }

  /**
   * The Authorization (and DPoP) header of one API request; `refused`: the token a 401 refused, when this is that call's
   * retry.
   */
  async grant (method: string, target: { origin: string, path: string }, refused?: AccessToken): Promise<Grant> {
    const cached = this.cachedGrant(method, target)
    if (cached !== undefined) return cached
    if (refused === undefined) return this.#grantOf(await this.#refresh(), method, target)
    const failed = this.#failedAfter.get(refused)
    if (failed !== undefined) throw failed.error
    try {
      return this.#grantOf(await this.#refresh(), method, target)
    } catch (error) {
      this.#failedAfter.set(refused, { error })
      throw error
    }
  }

  /** The grant of a cached, fresh token; undefined when a token must be fetched first. */
  cachedGrant (method: string, target: { origin: string, path: string }): Grant | undefined {
    const cached = this.#token
    return cached !== undefined && Date.now() < cached.refreshAt ? this.#grantOf(cached, method, target) : undefined
  }

  #grantOf (token: AccessToken, method: string, target: { origin: string, path: string }): Grant {
    const dpop = token.ath === undefined ? undefined : this.#signer!.proof(method, htuOf(target), token.ath, this.#rsNonce)
    return { token, authorization: token.authorization, dpop }
  }

  /** Remembers the API's latest DPoP nonce (from any response). */
  observeNonce (nonce: string | undefined): void {
    if (nonce !== undefined && nonce !== '' && this.#signer !== undefined) this.#rsNonce = nonce
  }

  /**
   * The error to throw (or `RetryOnce`) for an API error on a request that carried `grant`; `secrets` (what the request
   * carried) are cut out of the challenge's description.
   */
  apiError (err: OktaApiError, wwwAuthenticate: string | undefined, grant: Grant, secrets: readonly string[]): Error {
    return oauthApiError(err, wwwAuthenticate, grant.dpop !== undefined, () => {
      if (this.#token === grant.token) this.#token = undefined
    }, secrets, grant.token)
  }

  #refresh (): Promise<AccessToken> {
    this.#pending ??= this.#fetch().finally(() => { this.#pending = undefined })
    return this.#pending
  }

  async #fetch (): Promise<AccessToken> {
    const url = this.#endpoint.url
    const onNonce = (n: string): void => { if (this.#signer !== undefined) this.#asNonce = n }
    for (let attempt = 0; ; attempt++) {
      const assertion = await clientAssertion(this.#config, url, Date.now())
      const proof = this.#signer?.proof('POST', url, undefined, this.#asNonce)
      const r = await postToken(this.#endpoint, assertion, this.#config.scope, proof, onNonce)
      if ('nonce' in r) {
        if (this.#signer === undefined || attempt > 0) throw r.error
        continue
      }
      // A DPoP token comes only after a proof (token-response.ts refuses one otherwise): `#signer` is then set.
      const lifetimeMs = r.expiresInS * 1000
      const token: AccessToken = {
        authorization: `${r.tokenType} ${r.accessToken}`,
        ath: r.tokenType === 'DPoP' ? accessTokenHash(r.accessToken) : undefined,
        refreshAt: Date.now() + lifetimeMs - Math.min(REFRESH_MARGIN_S * 1000, lifetimeMs / 2),
      }
      this.#token = token
      return token
    }
  }
}
