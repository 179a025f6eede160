// POST /oauth2/v1/token: the client credentials grant with a private_key_jwt client assertion
// (RFC 7523), validated as Okta does, and DPoP-bound tokens for apps that require DPoP. Every
// refusal here is an OAuth error body (`error`, `error_description`), a body that is not a form
// or cannot be read included; only the org-wide rate limit keeps Okta's E0000047 envelope.
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { decodeJwt, importJWK, jwtVerify, type JWK, type JWTPayload, type JWSHeaderParameters } from 'jose'
import { baseUrl } from '../context.js'
import { OktaError } from '../errors.js'
import { isFormType } from '../media.js'
import { ASYMMETRIC_ALGS, expectedHtu, verifyProof } from './dpop.js'
import { invalidClient, OAuthError } from './errors.js'
import { TOKEN_LIFETIME_S, type OAuthState } from './state.js'

/** The token endpoint's path. */
export const TOKEN_PATH = '/oauth2/v1/token'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** Okta refuses an assertion whose `exp` is more than an hour ahead. */
const MAX_ASSERTION_LIFETIME_S = 3600
/** Longest `jti` remembered (assertion ids are kept until the assertion expires). */
const MAX_JTI_LENGTH = 256

/** What the token route's parser hands on for a body that is not form-encoded (never its text). */
const NOT_A_FORM = Symbol('not a form')

/** The form body as single-valued parameters; a repeated one is invalid_request. */
function formOf (body: unknown): Map<string, string> {
  if (typeof body !== 'string') throw new OAuthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.')
  const out = new Map<string, string>()
  for (const [k, v] of new URLSearchParams(body)) {
    if (out.has(k)) throw new OAuthError(400, 'invalid_request', `The '${k}' parameter must not be repeated.`)
    out.set(k, v)
  }
  return out
}

function sha256 (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** Okta's refusal of an assertion whose key it cannot tell (Okta support: "Okta client assertion error: invalid key ID"). */
const INVALID_KID = 'The client_assertion JWT kid is invalid.'

/**
 * The app key an assertion names, as Okta picks it: the key with the header's `kid`; without a `kid`, the app's only
 * key. A `kid` that no key of the app has, or none when the app has several keys, is refused as Okta does.
 */
function keyFor (keys: JWK[], header: JWSHeaderParameters): JWK {
  const key = header.kid === undefined ? (keys.length === 1 ? keys[0] : undefined) : keys.find((k) => k.kid === header.kid)
  if (key === undefined) throw invalidClient(INVALID_KID)
  return key
}

/**
 * The key, when the assertion's `alg` is the one the key is for: an app key that states its `alg` (Okta's app keys
 * have one) verifies only assertions signed with it, as RFC 7517 §4.4 means it. Otherwise a signature failure.
 */
function keyOfAlg (key: JWK, alg: string | undefined): JWK {
  // eslint-disable-next-line no-restricted-syntax -- caught by the assertion check and answered as Okta's invalid_client
  if (key.alg !== undefined && key.alg !== alg) throw new Error('the key is for another algorithm')
  return key
}

/** An assertion refused for its times alone: it may still be current at the emulator's moved clock. */
class AssertionTimeError extends OAuthError {
  constructor (description: string) { super(401, 'invalid_client', description) }
}

/**
 * The times an assertion's `exp` and `nbf` are judged at: the wall clock first (a client signs its assertion with real
 * time, as Okta judges it), then the emulator's `clock` when that has been moved (a test may sign at emulator time).
 */
function assertionTimes (state: OAuthState): Array<{ at: number, wall: boolean }> {
  const wall = Date.now()
  const emulated = state.clock()
  return Math.abs(emulated - wall) < 1000 ? [{ at: wall, wall: true }] : [{ at: wall, wall: true }, { at: emulated, wall: false }]
}

/** The assertion's claims, when its signature holds and it is current at `now`; a time error is an OAuthError. */
async function verifiedAt (app: { keys: JWK[] }, assertion: string, now: number): Promise<JWTPayload> {
  let payload: JWTPayload
  try {
    ({ payload } = await jwtVerify(assertion, async (header) => await importJWK(keyOfAlg(keyFor(app.keys, header), header.alg), header.alg), {
      algorithms: ASYMMETRIC_ALGS,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'iss', 'sub', 'aud'],
    }))
  } catch (err) {
    if (err instanceof OAuthError) throw err // the key could not be told (keyFor)
    const code = (err as { code?: string }).code
    if (code === 'ERR_JWT_EXPIRED') throw new AssertionTimeError('The client_assertion token is expired.')
    const claim = (err as { claim?: string }).claim ?? 'exp'
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const message = `The client_assertion token is missing a valid '${claim}' claim.`
      throw claim === 'nbf' || claim === 'iat' ? new AssertionTimeError(message) : invalidClient(message)
    }
    throw invalidClient('The client_assertion signature is invalid.')
  }
  if (payload.exp! * 1000 - now > MAX_ASSERTION_LIFETIME_S * 1000) {
    throw new AssertionTimeError('The client_assertion token has an expiration too far into the future.')
  }
  return payload
}

async function verifyAssertion (state: OAuthState, assertion: string, clientId: string, tokenUrl: string): Promise<void> {
  const app = state.apps.get(clientId)!
  let payload: JWTPayload | undefined
  let judgedByWall = true
  let first: AssertionTimeError | undefined
  for (const { at, wall } of assertionTimes(state)) {
    try {
      payload = await verifiedAt(app, assertion, at)
      judgedByWall = wall
      break
    } catch (err) {
      if (!(err instanceof AssertionTimeError)) throw err
      first ??= err
    }
  }
  if (payload === undefined) throw first!
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (aud.length !== 1 || aud[0] !== tokenUrl) {
    throw invalidClient('The audience claim for client_assertion must be the endpoint invoked for the request.')
  }
  if (payload.iss !== clientId || payload.sub !== clientId) {
    throw invalidClient("The 'iss' and 'sub' claims of the client_assertion must both be the client_id.")
  }
  // `jti` is optional for Okta ("Build a JWT for client authentication"); one that is sent must be a
  // usable id, and is then never accepted twice from the app.
  const jti = payload.jti
  if (jti === undefined) return
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw invalidClient("The client_assertion token is missing a valid 'jti' claim.")
  }
  // Remembered in the time it was judged by, for as long as it is current there (the other clock may move); a jti seen
  // in either is refused.
  const key = `${clientId} ${jti}`
  const wallNow = Date.now()
  const emulatedNow = state.clock()
  if (state.wallAssertionIds.has(key, wallNow) || state.assertionIds.has(key, emulatedNow)) {
    throw invalidClient('The client_assertion token has already been used.')
  }
  const until = payload.exp! * 1000 + 1000
  if (judgedByWall) state.wallAssertionIds.add(key, until, wallNow)
  else state.assertionIds.add(key, until, emulatedNow)
}

const MULTIPLE_CREDENTIALS = 'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.'

async function issue (state: OAuthState, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const form = formOf(req.body)
  const grant = form.get('grant_type')
  if (grant === undefined) throw new OAuthError(400, 'invalid_request', "The 'grant_type' parameter is required.")
  if (grant !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', `The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].`)
  const assertion = form.get('client_assertion')
  // RFC 6749 2.3: one way of authenticating per request; Okta refuses a second with this answer, whatever the first.
  const ways = Number(req.headers.authorization !== undefined) + Number(form.get('client_secret') !== undefined) + Number(assertion !== undefined)
  if (ways > 1) throw new OAuthError(400, 'invalid_request', MULTIPLE_CREDENTIALS)
  if (form.get('client_assertion_type') !== ASSERTION_TYPE || assertion === undefined || assertion === '') {
    throw invalidClient('Client authentication failed: send a private_key_jwt client_assertion (client_assertion_type jwt-bearer).')
  }
  let claims: JWTPayload
  try {
    claims = decodeJwt(assertion)
  } catch {
    throw invalidClient('The client_assertion token is malformed.')
  }
  const clientId = typeof claims.sub === 'string' ? claims.sub : claims.iss
  const given = form.get('client_id')
  if (typeof clientId !== 'string' || !state.apps.has(clientId) || (given !== undefined && given !== clientId)) {
    throw invalidClient("Invalid value for 'client_id' parameter.")
  }
  const app = state.apps.get(clientId)!
  const tokenUrl = `${baseUrl(req)}${TOKEN_PATH}`

  // DPoP first: a request without the server's nonce is answered use_dpop_nonce before the
  // assertion is looked at, so the client's retry (with a fresh assertion) is the one that counts.
  let jkt: string | undefined
  if (app.dpop) {
    const proof = await verifyProof(state, req.headers.dpop, 'POST', expectedHtu(baseUrl(req), req.url))
    if (!state.nonceValid(proof.payload['nonce'])) {
      throw new OAuthError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.', { 'dpop-nonce': state.nonce() })
    }
    jkt = proof.jkt
  }
  await verifyAssertion(state, assertion, clientId, tokenUrl)

  const scope = form.get('scope')
  if (scope === undefined || scope.trim() === '') throw new OAuthError(400, 'invalid_scope', 'The authorization server requires a scope for the client_credentials grant.')
  const requested = [...new Set(scope.split(' ').filter((s) => s !== ''))]
  const refused = requested.filter((s) => !app.scopes.has(s))
  if (refused.length > 0) {
    throw new OAuthError(400, 'invalid_scope', `The following scopes are not allowed: [${refused.join(', ')}]`)
  }

  const token = randomBytes(32).toString('base64url')
  state.addToken(token, {
    clientId,
    scopes: new Set(requested),
    expiresAt: state.clock() + TOKEN_LIFETIME_S * 1000,
    jkt,
    ath: sha256(token),
  })
  reply.header('cache-control', 'no-store')
  reply.header('pragma', 'no-cache')
  if (app.dpop) reply.header('dpop-nonce', state.nonce())
  return {
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: TOKEN_LIFETIME_S,
    access_token: token,
    scope: requested.join(' '),
  }
}

function sendOAuthError (reply: FastifyReply, err: OAuthError): FastifyReply {
  // (An error handler starts with the Content-Type removed: set it again.)
  reply.headers({ 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...err.headers })
  return reply.code(err.status).send(err.toBody())
}

/** Registers POST /oauth2/v1/token (form-encoded body, OAuth error bodies). */
export function tokenRoute (app: FastifyInstance, state: OAuthState): void {
  void app.register(async (scope) => {
    // Not the API's JSON parsers: any body is read as text, and only a form is handed on.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
      done(null, isFormType(req.headers['content-type']) ? body : NOT_A_FORM)
    })
    // What fails before the handler (an oversized or unreadable body) is refused in the OAuth form
    // too, without echoing the body; the org-wide rate limit (an OktaError) goes on to the API's handler.
    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      if (err instanceof OktaError) throw err
      if (err instanceof OAuthError) return sendOAuthError(reply, err)
      const clientError = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
      if (!clientError) process.stderr.write(`[okta-emulator] internal error: ${err?.stack ?? String(err)}\n`)
      const tooLarge = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      return sendOAuthError(reply, new OAuthError(tooLarge ? 413 : 400, 'invalid_request',
        tooLarge ? 'The request body is too large.' : clientError ? 'The request body could not be read.' : 'The emulator could not process this request.'))
    })
    scope.post(TOKEN_PATH, { config: { bucket: 'token', public: true } }, async (req, reply) => {
      try {
        return await issue(state, req, reply)
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err
        return await sendOAuthError(reply, err)
      }
    })
  })
}
