// Public surface of @okta-mfa/gateway; only re-exports.
export { oktaMfaGateway, NoSessionError, AlreadyRegisteredError, type GatewayHandle } from './plugin.js'
export {
  resolveGatewayConfig, InvalidOptionError, GATEWAY_DEFAULTS,
  type OktaMfaGatewayOptions, type GatewayConfig, type ResolveUser,
} from './options.js'
export { gatewaySchema } from './schema.js'
export { GATEWAY_ERRORS, GatewayError, fromClientError, isGatewayErrorCode, type GatewayErrorCode, type GatewayErrorDetails } from './errors.js'
export { formatErrors, stripSuggestions, type PublicError } from './format-errors.js'
export { limitRules, DEFAULT_LIMITS, MAX_MUTATION_FIELDS_PER_DOCUMENT, type QueryLimits } from './limits.js'
export { genReqId, gatewayLoggerOptions, serializeLogError, graphqlRequestSummary, redactSecrets, REDACT_PATHS, SECRET_FIELDS, SECRET_HEADERS, REQUEST_ID_HEADER, REQUEST_ID_PATTERN } from './logging.js'
export { otpauthUri, toEnrollRequest, type EnrollFactorInput, type GqlFactor, type GqlTotpActivation } from './factors.js'
export { defaultResolveOktaUser, type GatewayContext } from './scope.js'
export { loadServerConfig, decodeSessionKey, decodeSessionKeys, redisUrlProblem, ServerConfigError, type GatewayServerConfig } from './config.js'
export {
  buildGatewayServer,
  /** Alias of `buildGatewayServer` (the name in the project contract). */
  buildGatewayServer as createServer,
  /** Alias of `buildGatewayServer` (the name in the project contract). */
  buildGatewayServer as buildGateway,
  main as startGatewayServer,
  SESSION_USER_KEY,
  READY_TIMEOUT_MS,
  type BuildGatewayServerOptions,
} from './server.js'
export { READY_CACHE_MS, STORE_READY_CACHE_MS } from './readiness.js'
export { parseTrustProxy, type TrustProxySetting } from './trust-proxy.js'
export {
  readOktaAuthEnv, missingOktaAuthError, OktaAuthEnvError, DEFAULT_OKTA_SCOPES, DEFAULT_OKTA_DPOP, type OktaAuthSetting,
} from '@okta-mfa/core'
