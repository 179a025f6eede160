// OAuth 2.0 errors as Okta's authorization server answers them: `{"error","error_description"}`
// with the HTTP status, plus the headers (DPoP-Nonce) some of them carry.

/** An error answered by the token endpoint (RFC 6749 §5.2 body). */
export class OAuthError extends Error {
  constructor (
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description)
    this.name = 'OAuthError'
  }

  /** The response body. */
  toBody (): { error: string, error_description: string } {
    return { error: this.error, error_description: this.description }
  }
}

/** 401 invalid_client (Okta answers client authentication failures with 401). */
export const invalidClient = (description: string): OAuthError => new OAuthError(401, 'invalid_client', description)

/** 400 invalid_dpop_proof. */
export const invalidProof = (description: string): OAuthError => new OAuthError(400, 'invalid_dpop_proof', description)
