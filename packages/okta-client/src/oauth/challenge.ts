// Reading an API error on an OAuth-authorized request: the `WWW-Authenticate` challenge says
// whether to retry with a nonce (use_dpop_nonce), refresh the token once (401), or fail with a
// coded error (insufficient_scope, invalid_dpop_proof).
import type { OktaApiError, OktaApiErrorDetails } from '../errors.js'
import { redactSecrets } from '../redact.js'
import { DpopRejectedError, InsufficientScopeError, InvalidTokenError } from './errors.js'
import type { AccessToken } from './session.js'

/**
 * A failure the transport retries once (`nonce`: with the new nonce; `token`: with a new token, `refused` being the
 * token the 401 refused), else throws `error`.
 */
export class RetryOnce extends Error {
  constructor (readonly kind: 'nonce' | 'token', readonly error: Error, readonly refused?: AccessToken) {
    super(kind)
  }
}

/** The `error`, `error_description` and `scope` parameters of a WWW-Authenticate header (its values joined). */
export function challengeParams (header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (header === undefined) return out
  // A value is a quoted string or a bare token (RFC 9110 auth-param). A name starts where no name character precedes
  // it: otherwise a run of letters without `=` is tried again from each of its letters (quadratic).
  const re = /(?<![A-Za-z_])([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g
  for (const m of header.slice(0, 4096).matchAll(re)) {
    const k = m[1]!
    if ((k === 'error' || k === 'error_description' || k === 'scope') && !(k in out)) out[k] = m[2] === undefined ? m[3]! : m[2].replace(/\\(.)/g, '$1')
  }
  return out
}

function details (err: OktaApiError): OktaApiErrorDetails {
  return {
    status: err.status,
    errorCode: err.errorCode,
    errorSummary: err.errorSummary,
    errorId: err.errorId,
    errorLink: err.errorLink,
    errorCauses: err.errorCauses,
    requestId: err.requestId,
  }
}

/**
 * The error to throw (or retry on) for an API error answered to an OAuth-authorized request.
 * `invalidate` drops the token the request used (so one refresh serves every caller that saw the 401).
 */
export function oauthApiError (
  err: OktaApiError, wwwAuthenticate: string | undefined, dpop: boolean, invalidate: () => void, secrets: readonly string[] = [],
  token?: AccessToken,
): Error {
  const p = challengeParams(wwwAuthenticate)
  const description = p['error_description'] === undefined ? undefined : redactSecrets(p['error_description'], secrets)
  const oauth = { status: err.status, error: p['error'] ?? '', errorDescription: description, requestId: err.requestId }
  if (err.status === 401 && p['error'] === 'use_dpop_nonce' && dpop) return new RetryOnce('nonce', new DpopRejectedError(oauth))
  // A proof refused (400 as Okta answers, or 401 as RFC 9449 allows) is not a dead token: a new token would not help.
  if (p['error'] === 'invalid_dpop_proof') return new DpopRejectedError(oauth)
  if (err.status === 401) {
    invalidate()
    return new RetryOnce('token', new InvalidTokenError(details(err)), token)
  }
  return scopeError(err, p) ?? err
}

/**
 * A 403 whose `WWW-Authenticate` challenge says `insufficient_scope`, as its coded error, whatever auth the request
 * carried (the client's OAuth, or a Bearer token of the app's own); undefined for any other error.
 */
export function insufficientScope (err: OktaApiError, wwwAuthenticate: string | undefined): InsufficientScopeError | undefined {
  return err.status === 403 ? scopeError(err, challengeParams(wwwAuthenticate)) : undefined
}

/**
 * The name of an Okta API scope (`okta.users.read`, `okta.myAccount.email.read`): the scopes a challenge names are
 * kept only in this form, so a token or proof an answer quotes back in its `scope` never reaches the error.
 */
const OKTA_SCOPE = /^okta(?:\.[A-Za-z]+)+$/

function scopeError (err: OktaApiError, p: Record<string, string>): InsufficientScopeError | undefined {
  if (err.status !== 403 || p['error'] !== 'insufficient_scope') return undefined
  return new InsufficientScopeError({ ...details(err), requiredScopes: (p['scope'] ?? '').split(' ').filter((s) => OKTA_SCOPE.test(s)) })
}
