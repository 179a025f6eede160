// The org authorization server's metadata (RFC 8414), as Okta publishes it at /.well-known/oauth-authorization-server:
// public, so a client that discovers the token endpoint (openid-client's `discovery(..., { algorithm: 'oauth2' })`)
// finds it. Only what the emulator serves is listed: the client credentials grant with private_key_jwt, DPoP.
import type { FastifyInstance } from 'fastify'
import { baseUrl } from '../context.js'
import { ASYMMETRIC_ALGS } from './dpop.js'
import { TOKEN_PATH } from './token.js'

/** The path of the metadata document. */
export const METADATA_PATH = '/.well-known/oauth-authorization-server'

/** Registers GET (and HEAD) /.well-known/oauth-authorization-server. */
export function metadataRoute (app: FastifyInstance): void {
  app.get(METADATA_PATH, { config: { bucket: 'token', public: true } }, async (req, reply) => {
    const issuer = baseUrl(req)
    reply.header('cache-control', 'max-age=86400, must-revalidate')
    return {
      issuer,
      token_endpoint: `${issuer}${TOKEN_PATH}`,
      // RFC 8414 requires the field; no response type is served (there is no authorization endpoint).
      response_types_supported: [],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ASYMMETRIC_ALGS,
      dpop_signing_alg_values_supported: ASYMMETRIC_ALGS,
    }
  })
}
