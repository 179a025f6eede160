// The Fastify app: body parsing as Okta's SDK needs it (an empty body sent with
// `Content-Type: application/json` is no body; malformed JSON is 400 E0000003), duplicate
// slashes tolerated (an `orgUrl` with a trailing `/`), the headers Okta puts on every response,
// rate limits, SSWS auth, and one error handler that turns every failure, the framework's own
// included, into Okta's five-field envelope. Nothing a client sends can produce a 5xx.
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { ssws } from './auth.js'
import { authorizeApi, isOAuthHeader } from './oauth/resource.js'
import { scopeFor, type UsersScope } from './oauth/scopes.js'
import type { OAuthState } from './oauth/state.js'
import { tokenRoute } from './oauth/token.js'
import type { Ctx } from './context.js'
import { malformedBody, notFound, OktaError, validationError } from './errors.js'
import { RateLimiter } from './rate-limit.js'
import { emulatorRoutes } from './routes/emulator.js'
import { factorsRoutes } from './routes/factors.js'
import { usersRoutes } from './routes/users.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import { credentialsRoutes } from './routes/credentials.js'
import { metaRoutes } from './routes/meta.js'
import { factorUpdateRoutes } from './routes/factor-update.js'
import { verifyRoutes } from './routes/verify.js'
import type { RateLimitBucket, RateLimitOptions } from './types.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate-limit bucket of the route. */
    bucket?: RateLimitBucket
    /** No SSWS header needed (the QR-code link). */
    public?: boolean
  }
}

/** Settings of {@link buildServer}. */
export interface ServerSettings {
  token: string
  /** The OAuth 2.0 authorization server (service apps, tokens). */
  oauth: OAuthState
  rateLimits: false | RateLimitOptions | undefined
  logger: boolean
  bodyLimit: number
}

/** Maps any error to the Okta error the client sees. */
export function toOktaError (err: unknown, bodyLimit: number): OktaError {
  if (err instanceof OktaError) return err
  const e = err as Partial<FastifyError>
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OktaError(413, 'E0000003', 'The request body was not well-formed.', [`The request body is larger than ${bodyLimit} bytes.`])
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return notFound('path', 'Path')
    default:
      if (typeof e.code === 'string' && e.code.startsWith('FST_ERR_CTP')) return malformedBody()
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return malformedBody()
  // A bug in the emulator: say so on stderr, but never answer 5xx (callers test their 5xx handling with MockAgent).
  process.stderr.write(`[okta-emulator] internal error: ${(err as Error)?.stack ?? String(err)}\n`)
  return validationError('request', 'The emulator could not process this request.')
}

let lastSecond = -1
let lastDate = ''
/** The HTTP Date of `ms`, cached per second. */
function httpDate (ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s !== lastSecond) {
    lastSecond = s
    lastDate = new Date(s * 1000).toUTCString()
  }
  return lastDate
}

const REQUEST_ID_PREFIX = randomBytes(12).toString('base64url')
let requestSeq = 0

/** Builds the app (not listening). */
export function buildServer (ctx: Ctx, settings: ServerSettings): FastifyInstance {
  const app = Fastify({
    logger: settings.logger,
    bodyLimit: settings.bodyLimit,
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: 500 },
    // Undecodable paths and over-long ids never reach onRequest: stamp the headers here too.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      stamp(reply, 'user')
      const e = toOktaError(err, settings.bodyLimit)
      void reply.code(e.status).send(e.toBody())
    },
  })
  const limiter = new RateLimiter(settings.rateLimits)
  const checkAuth = ssws(settings.token)
  /** Adds Okta's per-response headers and counts the request; returns whether it is over the limit. */
  const stamp = (reply: FastifyReply, bucket: RateLimitBucket): boolean => {
    const now = ctx.clock()
    const rate = limiter.hit(bucket, now)
    // Okta's exact `Content-Type: application/json` (no charset parameter, as real orgs send it):
    // with a serializer of its own on the reply, Fastify leaves the header as set here.
    reply.serializer(JSON.stringify)
    reply.headers({
      'content-type': 'application/json',
      'x-okta-request-id': `${REQUEST_ID_PREFIX}${(++requestSeq).toString(36)}`,
      date: httpDate(now),
      'x-rate-limit-limit': rate.limit,
      'x-rate-limit-remaining': rate.remaining,
      'x-rate-limit-reset': rate.reset,
      // Sent by real orgs on every API response (see the recorded captures).
      'accept-ch': 'Sec-CH-UA-Platform-Version',
      'referrer-policy': 'strict-origin-when-cross-origin',
    })
    return rate.limited
  }

  app.removeAllContentTypeParsers()
  // Registered for application/json (Fastify's exact-match fast path) and for anything else.
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const text = body as string
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(text))
    } catch {
      done(malformedBody(), undefined)
    }
  }
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson)
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson)

  /** The onRequest hook of one route: Okta's headers, the rate limit of its bucket, SSWS auth unless public. */
  const guard = (bucket: RateLimitBucket, isPublic: boolean, scope: UsersScope | null = null) => (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const limited = stamp(reply, bucket)
    if (!isPublic && isOAuthHeader(req.headers.authorization)) {
      // An OAuth access token (Bearer or DPoP): checked against the scope the route needs.
      authorizeApi(settings.oauth, req, reply, scope).then(() => {
        done(limited ? new OktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.') : undefined)
      }, done)
      return
    }
    try {
      if (!isPublic && /^ssws /i.test(req.headers.authorization ?? '')) settings.oauth.sswsRequests++
      if (!isPublic) checkAuth(req.headers.authorization)
      if (limited) throw new OktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.')
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  }
  // Each route gets its own hook with its bucket baked in, decided once at registration
  // (reading request.routeOptions per request builds a fresh object every time).
  app.addHook('onRoute', (route) => {
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    route.onRequest = [guard(route.config?.bucket ?? 'user', route.config?.public === true, scopeFor(methods[0] ?? 'GET', route.url)), ...own]
  })

  app.setErrorHandler((err, _req, reply) => {
    // A body that fails to parse on an unknown path errs before any guard ran: stamp here too.
    if (!reply.hasHeader('x-okta-request-id')) stamp(reply, 'user')
    const e = toOktaError(err, settings.bodyLimit)
    if (e.resetAt !== undefined) {
      reply.header('x-rate-limit-remaining', 0)
      reply.header('x-rate-limit-reset', Math.ceil(e.resetAt / 1000))
    }
    void reply.code(e.status).type('application/json').send(e.toBody())
  })
  app.setNotFoundHandler({ preValidation: guard('user', false) }, (req, reply) => {
    const e = notFound(req.url.split('?')[0] ?? '', 'Path')
    void reply.code(404).send(e.toBody())
  })

  usersRoutes(app, ctx)
  lifecycleRoutes(app, ctx)
  credentialsRoutes(app, ctx)
  metaRoutes(app, ctx)
  factorUpdateRoutes(app, ctx)
  factorsRoutes(app, ctx)
  verifyRoutes(app, ctx)
  emulatorRoutes(app, ctx)
  tokenRoute(app, settings.oauth)
  return app
}
