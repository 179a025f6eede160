// The Fastify plugin: validates its options, then mounts mercurius in an encapsulated child so the gateway's
// error handler, hooks and limits apply to its own routes only and never to the host app's.
import createError, { type FastifyErrorConstructor } from '@fastify/error'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql'
import mercurius from 'mercurius'
import { createOktaClient, type OktaClient, type OktaClientOptions } from '@okta-mfa/client'
import { AttemptLimiter, MemoryAttemptStore, type AttemptStore } from '@okta-mfa/core'
import { GATEWAY_ERRORS, refusalBody } from './errors.js'
import { formatErrors, handleRouteError } from './format-errors.js'
import { graphqlBodyValidator, refuseEncodedBody } from './body-check.js'
import { DOCUMENT_CACHE_SIZE, MAX_VALIDATION_ERRORS, costGuard, limitRules } from './limits.js'
import { REQUEST_ID_HEADER, graphqlRequestSummary } from './logging.js'
import { InvalidOptionError, isValidIssuer, resolveGatewayConfig, type GatewayConfig, type OktaMfaGatewayOptions } from './options.js'
import { resolvers } from './resolvers.js'
import { gatewaySchema } from './schema.js'
import { RequestScope, defaultResolveOktaUser, type GatewayDeps } from './scope.js'

/** Registered without a session plugin: `code` is `OKTA_MFA_GATEWAY_NO_SESSION`. */
export const NoSessionError: FastifyErrorConstructor<{
  /** Always `OKTA_MFA_GATEWAY_NO_SESSION`. */
  code: 'OKTA_MFA_GATEWAY_NO_SESSION'
  /** 500: a mistake in the app's setup, not the request's. */
  statusCode: 500
}> = createError(
  'OKTA_MFA_GATEWAY_NO_SESSION',
  '@okta-mfa/gateway needs request.session: register @fastify/secure-session, or @fastify/cookie and @fastify/session (rolling: false), and @fastify/passport if you use it, before it',
  500,
)

/**
 * Registered a second time in the same Fastify context: `code` is `OKTA_MFA_GATEWAY_ALREADY_REGISTERED`. A second
 * gateway goes in a plugin of its own (`app.register(async (scope) => scope.register(oktaMfaGateway, …), { prefix })`).
 */
export const AlreadyRegisteredError: FastifyErrorConstructor<{
  /** Always `OKTA_MFA_GATEWAY_ALREADY_REGISTERED`. */
  code: 'OKTA_MFA_GATEWAY_ALREADY_REGISTERED'
  /** 500: a mistake in the app's setup, not the request's. */
  statusCode: 500
}> = createError(
  'OKTA_MFA_GATEWAY_ALREADY_REGISTERED',
  '@okta-mfa/gateway is already registered in this context: register a second one inside a plugin of its own, under its own prefix',
  500,
)

/** What the plugin exposes on the Fastify instance as `oktaMfaGateway`. */
export interface GatewayHandle {
  /** The Okta client the gateway calls (owned by the plugin when it was built from `orgUrl`). */
  readonly client: OktaClient
  /** The validated, frozen configuration. */
  readonly config: GatewayConfig
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by @okta-mfa/gateway. */
    oktaMfaGateway: GatewayHandle
  }
}

/** CSRF: only a non-simple content type, or a header that forces a CORS preflight, may reach the handler. */
const CSRF = Object.freeze({
  allowedContentTypes: ['application/json'],
  requiredHeaders: ['x-mercurius-operation-name', 'mercurius-require-preflight'],
})

/** Route config flag set on mercurius's routes. */
const GRAPHQL_ROUTE = 'oktaMfaGatewayGraphql'

function isGraphqlRoute (request: FastifyRequest): boolean {
  return (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[GRAPHQL_ROUTE] === true
}

/**
 * Answers a request on the GraphQL path that is not a POST: 405 METHOD_NOT_ALLOWED with the request id, as every
 * gateway error. One exception, so that an app's own CORS handling keeps working: a CORS preflight (OPTIONS with
 * Access-Control-Request-Method) that the app's CORS hook accepted and passed on (it set Access-Control-Allow-Origin)
 * is answered 204, as the app's catch-all OPTIONS route would have.
 */
export function refuseMethod (request: FastifyRequest, reply: FastifyReply): void {
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined && reply.hasHeader('access-control-allow-origin')) {
    void reply.code(204).send()
    return
  }
  void reply.code(GATEWAY_ERRORS.METHOD_NOT_ALLOWED.status).header('allow', 'POST').header('cache-control', 'no-store')
    .send(refusalBody('METHOD_NOT_ALLOWED', request.id))
}

/**
 * Whether a request on the GraphQL path that is not a POST is refused in the gateway's `onRequest` hook rather than
 * by the handler of its refusing route: GET and HEAD (mercurius's own GET handler would run them; they would put
 * operations, and passcodes, in URLs, logs and caches, and skip the CSRF content-type check), and any request with a
 * body (never read). The rest (a CORS preflight, a DELETE without a body) goes on through the app's later hooks, so an
 * app's CORS running in a later hook (`preParsing` to `preSerialization`) still answers or passes on its preflights.
 */
function refusedEarly (request: FastifyRequest): boolean {
  const { method, headers } = request
  if (method === 'GET' || method === 'HEAD') return true
  const length = headers['content-length']
  return headers['content-type'] !== undefined || headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/**
 * Media types are case-insensitive (RFC 9110), but mercurius's CSRF check compares a Content-Type without parameters
 * as it is: `APPLICATION/JSON` would be refused. The type is lower-cased (its parameters are kept as sent).
 */
function lowerMediaType (headers: FastifyRequest['raw']['headers']): void {
  const type = headers['content-type']
  if (type === undefined || type === 'application/json' || !/[A-Z]/.test(type)) return
  const semi = type.indexOf(';')
  headers['content-type'] = semi === -1 ? type.toLowerCase() : type.slice(0, semi).toLowerCase() + type.slice(semi)
}

/**
 * The client the plugin owns. The client refuses some options itself (an `orgUrl` that is not an absolute URL or not
 * the org's root, or http: without allowInsecureHttp or beyond loopback; bad `auth.*` settings) with its own
 * InvalidOptionError (code `OKTA_CLIENT_INVALID_OPTION`) naming the option: it becomes the gateway's InvalidOptionError
 * with the same message and the client's as its `cause`, as every other bad option is.
 */
function ownClient (options: OktaClientOptions): OktaClient {
  try {
    return createOktaClient(options)
  } catch (err) {
    if (err instanceof TypeError && (err as { code?: unknown }).code === 'OKTA_CLIENT_INVALID_OPTION') throw Object.assign(new InvalidOptionError(err.message), { cause: err })
    throw err
  }
}

/**
 * The issuer authenticator apps show: the option, else the org's host name when it is a valid issuer, else 'Okta'
 * (an IPv6 literal such as `[::1]` has ':', which apps read as the end of the issuer; a host name may pass 64 characters).
 */
function issuerOf (config: GatewayConfig): string {
  if (config.issuer !== undefined) return config.issuer
  const host = config.clientOptions === undefined ? undefined : new URL(config.clientOptions.orgUrl).hostname
  return host !== undefined && isValidIssuer(host) ? host : 'Okta'
}

/** The handles this plugin decorated instances with (to tell a second registration from an app's own decorator). */
const handles = new WeakSet<object>()

/** The memory attempt store of each server (`app.server`) whose gateways were given none. */
const defaultStores = new WeakMap<object, AttemptStore>()

/**
 * One default attempt store per server: two gateway instances in one app (under two prefixes) count a user's codes
 * together, as Okta does, instead of each allowing `maxAttempts` and together passing Okta's lockout.
 */
function defaultAttemptStore (app: FastifyInstance, clock: () => number): AttemptStore {
  let store = defaultStores.get(app.server)
  if (store === undefined) {
    store = new MemoryAttemptStore({ clock })
    defaultStores.set(app.server, store)
  }
  return store
}

const gateway: FastifyPluginAsync<OktaMfaGatewayOptions> = async (app, options) => {
  const config = resolveGatewayConfig(options)
  if (!app.hasRequestDecorator('session')) throw new NoSessionError()
  // Fastify's own refusal (FST_ERR_DEC_ALREADY_PRESENT) names the decorator, not the plugin or the way out; a decorator
  // of that name that the app made itself is left to Fastify's refusal.
  if (Object.hasOwn(app, 'oktaMfaGateway') && handles.has(app.oktaMfaGateway)) throw new AlreadyRegisteredError()
  if (config.resolveUser === undefined) app.log.warn('@okta-mfa/gateway has no "resolveUser": every operation answers UNAUTHENTICATED')

  const client = config.client ?? ownClient(config.clientOptions!)
  if (config.client === undefined) app.addHook('onClose', async () => { await client.close() })
  const limiter = new AttemptLimiter({
    maxAttempts: config.maxAttempts,
    windowMs: config.attemptWindowMs,
    clock: config.clock,
    store: config.attemptStore ?? defaultAttemptStore(app, config.clock),
  })
  const deps: GatewayDeps = Object.freeze({
    config,
    client,
    limiter,
    resolveOktaUser: config.resolveOktaUser ?? defaultResolveOktaUser,
    issuer: issuerOf(config),
  })
  const handle: GatewayHandle = Object.freeze({ client, config })
  handles.add(handle)
  app.decorate('oktaMfaGateway', handle)

  await app.register(async function gatewayRoutes (scope: FastifyInstance) {
    // Callback-style: on the hot path an async hook costs a promise per request for nothing.
    scope.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id)
      // Every answer is the session's own, and enrollFactor's holds the shared secret: no cache keeps one.
      reply.header('cache-control', 'no-store')
      // The only POST route of this scope is the GraphQL one.
      if (request.method === 'POST') {
        lowerMediaType(request.raw.headers)
      } else if (isGraphqlRoute(request) && refusedEarly(request)) {
        // Answered here: `done` is not called, so the request goes no further.
        refuseMethod(request, reply)
        return
      }
      done()
    })

    const validationRules: ValidationRule[] = [...limitRules(config.limits, config.development)]
    if (!config.development) validationRules.push(NoSchemaIntrospectionCustomRule)
    // Mercurius adds its own `application/graphql` parser and throws when the scope inherits one: an app with its own
    // (registered before the gateway) could not start. Removed here, in the gateway's scope only: the GraphQL route
    // parses with mercurius's, as it does in any app, and the app's routes keep theirs.
    if (scope.hasContentTypeParser('application/graphql')) scope.removeContentTypeParser('application/graphql')
    await scope.register(mercurius, {
      schema: gatewaySchema,
      resolvers: resolvers as unknown as mercurius.IResolvers,
      path: config.path,
      graphiql: config.development,
      allowBatchedQueries: false,
      csrfPrevention: { allowedContentTypes: [...CSRF.allowedContentTypes], requiredHeaders: [...CSRF.requiredHeaders] },
      validationRules,
      graphql: { parseOptions: { maxTokens: config.limits.maxTokens }, validateOptions: { maxErrors: MAX_VALIDATION_ERRORS } },
      // Bounded memory under a flood of distinct documents (see DOCUMENT_CACHE_SIZE).
      cache: DOCUMENT_CACHE_SIZE,
      errorFormatter: formatErrors as mercurius.MercuriusCommonOptions['errorFormatter'],
      errorHandler: handleRouteError as unknown as mercurius.MercuriusCommonOptions['errorHandler'],
      // The operation's own start (mercurius calls this once the body is parsed): one function per request rather
      // than one more hook in the chain.
      context: (request) => {
        if ((request.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('debug') === true) {
          // Variable names only, never values: a passcode may be bound to a variable of any name.
          request.log.debug({ graphql: graphqlRequestSummary(request.body) }, 'graphql request')
        }
        return { gateway: new RequestScope(request, deps) }
      },
      // The marker finds the GraphQL routes whatever prefix the app registered the plugin under.
      // A HEAD twin of the GET route even when the app turned `exposeHeadRoutes` off: HEAD gets the same 405 as GET.
      // The body as sent, not coerced to mercurius's schema, and not compressed unless the app decoded it (see body-check.ts).
      additionalRouteOptions: { bodyLimit: config.bodyLimit, exposeHeadRoute: true, config: { [GRAPHQL_ROUTE]: true }, validatorCompiler: graphqlBodyValidator, preParsing: [refuseEncodedBody] },
    })
    // Before graphql's own rules: they only ever see documents within the limits (linear check, see cost.ts).
    scope.graphql.addHook('preValidation', costGuard(config.limits, config.development))
    // Mercurius serves GET (and so HEAD) and POST; every other method Fastify routes gets the same coded 405 rather
    // than Fastify's bare 404: from the onRequest hook when it has a body, else from this handler (see refusedEarly).
    scope.route({
      method: scope.supportedMethods.filter((m) => m !== 'GET' && m !== 'HEAD' && m !== 'POST'),
      url: config.path,
      config: { [GRAPHQL_ROUTE]: true },
      handler: refuseMethod,
    })
  })
}

/**
 * The gateway as a Fastify plugin. Register it after @fastify/secure-session (or @fastify/cookie and @fastify/session
 * with `rolling: false`) and @fastify/passport; it serves
 * `POST /graphql` (see `gatewaySchema`) acting only for the user `resolveUser` returns.
 *
 * @example
 * ```ts
 * await app.register(oktaMfaGateway, {
 *   orgUrl: process.env.OKTA_ORG_URL!, token: process.env.OKTA_API_TOKEN!,
 *   resolveUser: (request) => request.user,
 *   resolveOktaUser: (user) => ({ login: user.email }),
 * })
 * ```
 */
export const oktaMfaGateway = fp(gateway, { name: '@okta-mfa/gateway', fastify: '5.x' })
