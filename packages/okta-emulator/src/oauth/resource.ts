// Access tokens on the API: `Authorization: Bearer <token>` or `DPoP <token>` with a proof. The
// answers Okta gives: 401 E0000011 + `WWW-Authenticate ... error="invalid_token"` for an unknown,
// revoked or expired token, 403 E0000006 + `error="insufficient_scope"` when the route's scope
// (from Okta's OpenAPI spec) was not granted, 400 `invalid_dpop_proof` for a bad proof and, when
// the emulator requires API nonces, 401 `use_dpop_nonce` with a `DPoP-Nonce` header.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { baseUrl } from '../context.js'
import { OktaError } from '../errors.js'
import { ASYMMETRIC_ALGS, expectedHtu, holdProof, verifyProof } from './dpop.js'
import { OAuthError } from './errors.js'
import { covers, type UsersScope } from './scopes.js'
import type { OAuthState } from './state.js'

/** True when the header carries an OAuth access token (Bearer or DPoP scheme). */
export function isOAuthHeader (header: string | undefined): boolean {
  if (header === undefined) return false
  const scheme = header.slice(0, header.indexOf(' ')).toLowerCase()
  return scheme === 'bearer' || scheme === 'dpop'
}

function quote (v: string): string {
  return v.replace(/["\\]/g, '')
}

/** Answers an OAuth failure on the API: Okta's envelope, its status, and the WWW-Authenticate challenge. */
function challenge (
  reply: FastifyReply, req: FastifyRequest, dpop: boolean, scope: UsersScope | null,
  status: number, errorCode: string, summary: string, error: string, description: string,
): OktaError {
  const base = baseUrl(req)
  const params = [
    ...(dpop ? [`algs="${ASYMMETRIC_ALGS.join(' ')}"`] : []),
    `authorization_uri="${base}/oauth2/v1/authorize"`,
    `realm="${base}"`,
    ...(scope === null ? [] : [`scope="${scope}"`]),
    `error="${error}"`,
    `error_description="${quote(description)}"`,
    // The path as Okta names it: `//` collapsed (a real org's answer to `//api/v1/...`, okta-sdk-nodejs#453).
    `resource="${quote((req.url.split('?', 1)[0] ?? '').replace(/\/{2,}/g, '/'))}"`,
  ]
  reply.header('www-authenticate', `${dpop ? 'DPoP' : 'Bearer'} ${params.join(', ')}`)
  return new OktaError(status, errorCode, summary)
}

const invalidToken = (reply: FastifyReply, req: FastifyRequest, dpop: boolean, scope: UsersScope | null, description: string): OktaError =>
  challenge(reply, req, dpop, scope, 401, 'E0000011', 'Invalid token provided', 'invalid_token', description)

/**
 * Checks an OAuth-authorized API request; throws the OktaError to answer (headers already set).
 * `limited`: the request will be refused 429, so its DPoP proof is checked but not spent (the
 * client retries the same request, proof and all, once the window resets).
 */
export async function authorizeApi (
  state: OAuthState, req: FastifyRequest, reply: FastifyReply, scope: UsersScope | null, limited = false,
): Promise<void> {
  const header = req.headers.authorization!
  const space = header.indexOf(' ')
  const isDpop = header.slice(0, space).toLowerCase() === 'dpop'
  const token = header.slice(space + 1).trim()
  const record = state.tokens.get(token)
  if (record === undefined) throw invalidToken(reply, req, isDpop, scope, 'The access token is invalid.')
  if (record.expiresAt <= state.clock()) throw invalidToken(reply, req, isDpop, scope, 'The token has expired.')
  if ((record.jkt !== undefined) !== isDpop) {
    throw invalidToken(reply, req, record.jkt !== undefined, scope,
      record.jkt !== undefined ? 'The access token is DPoP-bound: send it with the DPoP scheme and a proof.' : 'The access token is not DPoP-bound: send it with the Bearer scheme.')
  }
  if (record.jkt !== undefined) {
    try {
      const proof = await verifyProof(state, req.headers.dpop, req.method, expectedHtu(baseUrl(req), req.url), record.ath, !limited)
      // Remembered on the request: a route that answers 429 itself (a code asked for too soon) gives the proof back.
      if (!limited) (req as unknown as Record<symbol, unknown>)[SPENT_PROOF] = proof.payload['jti']
      if (proof.jkt !== record.jkt) throw new OAuthError(400, 'invalid_dpop_proof', 'The DPoP proof key does not match the key the access token is bound to.')
      if (state.apiNonce && !state.nonceValid(proof.payload['nonce'])) {
        reply.header('dpop-nonce', state.nonce())
        throw challenge(reply, req, true, scope, 401, 'E0000011', 'Invalid token provided', 'use_dpop_nonce', 'Resource server requires nonce in DPoP proof.')
      }
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err
      throw challenge(reply, req, true, scope, err.status, 'E0000011', 'Invalid token provided', err.error, err.description)
    }
  }
  if (scope !== null && !covers(record.scopes, scope)) {
    throw challenge(reply, req, isDpop, scope, 403, 'E0000006', 'You do not have permission to perform the requested action',
      'insufficient_scope', 'The access token provided does not contain the required scopes.')
  }
}

const SPENT_PROOF = Symbol('okta-emulator.spentProof')

/**
 * After a reply: a request answered 429 by its route (a code asked for too soon, too many activations) leaves its DPoP
 * proof unused, as one refused by the rate limit does, so a client's retry of the same request after the wait (Okta's
 * SDK resends the same proof) is served; and it is held until a minute past the reset the answer named, so a wait
 * that ends over a minute after the proof was signed (a 429 early in a rate-limit window) does not fail its `iat`.
 */
export function returnProofOf429 (state: OAuthState, req: FastifyRequest, reply: FastifyReply): void {
  if (reply.statusCode !== 429 || req.headers.dpop === undefined) return
  const jti = (req as unknown as Record<symbol, unknown>)[SPENT_PROOF]
  if (typeof jti === 'string') state.proofIds.delete(jti)
  const reset = Number(reply.getHeader('x-rate-limit-reset'))
  holdProof(state, req.headers.dpop, Number.isFinite(reset) ? reset * 1000 : 0)
}
