// The Fastify app: body parsing as Okta's SDK needs it (an empty body sent with
// `Content-Type: application/json` is no body; malformed JSON is 400 E0000003; on /api/v1 a body
// that is not JSON, or an Accept header that admits no JSON, is 400 E0000021), duplicate slashes
// tolerated (an `orgUrl` with a trailing `/`), the headers Okta puts on every response, rate
// limits, SSWS auth, 405 E0000022 (with `Allow`) for a path that exists with other methods, and
// one error handler that turns every failure, the framework's own included, into Okta's
// five-field envelope. Nothing a client sends can produce a 5xx.
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { ssws } from './auth.js'
import { clientErrorAnswer } from './client-error.js'
import { authorizeApi, isOAuthHeader, returnProofOf429 } from './oauth/resource.js'
import { scopeFor, type UsersScope } from './oauth/scopes.js'
import type { OAuthState } from './oauth/state.js'
import { metadataRoute } from './oauth/metadata.js'
import { TOKEN_PATH, tokenRoute } from './oauth/token.js'
import { BODYLESS_CONTENT_TYPE, type Ctx } from './context.js'
import { malformedBody, methodNotAllowed, notFound, OktaError, unsupportedMediaType, validationError } from './errors.js'
import { accepts, bodilessMethodRefuses, isJsonType } from './media.js'
import { OAuthError } from './oauth/errors.js'
import { RouteTable } from './route-table.js'
import { RateLimiter } from './rate-limit.js'
import { emulatorRoutes } from './routes/emulator.js'
import { factorsRoutes } from './routes/factors.js'
import { usersRoutes } from './routes/users.js'
import { usersListRoutes } from './routes/users-list.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import { credentialsRoutes } from './routes/credentials.js'
import { metaRoutes } from './routes/meta.js'
import { factorUpdateRoutes } from './routes/factor-update.js'
import { verifyRoutes } from './routes/verify.js'
import type { RateLimitBucket, RateLimitOptions } from './types.js'
import { closeConnectionsWhenClosing } from './closing.js'
import { drainRefusedBodies } from './drain.js'
import { loggerOptions, withoutLinkTokens } from './logging.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate-limit bucket of the route. */
    bucket?: RateLimitBucket
    /** No SSWS header needed (the QR-code link). */
    public?: boolean
    /** The media type the route answers with, which `Accept` must admit on /api/v1 (default `application/json`). */
    produces?: string
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

/** Maps any error to the Okta error the client sees; `path` names the request's path in a 404. */
export function toOktaError (err: unknown, bodyLimit: number, path = ''): OktaError {
  if (err instanceof OktaError) return err
  const e = err as Partial<FastifyError>
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OktaError(413, 'E0000003', 'The request body was not well-formed.', [`The request body is larger than ${bodyLimit} bytes.`])
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType()
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return notFound(withoutLinkTokens(path), 'Path')
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

/** Strict UTF-8 (an invalid byte sequence throws); a BOM is kept, so JSON.parse refuses it as before. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Longest route parameter the router takes (longer ids are 404 E0000007). */
const MAX_PARAM_LENGTH = 500


/**
 * The media check of a GET or HEAD body (media.ts), on the management API or elsewhere; not at the token endpoint,
 * whose refusals are OAuth's. A body is one of a declared length above 0 (an empty chunked one is no body).
 */
function unreadBodyType (req: FastifyRequest): boolean {
  const route = req.routeOptions.url
  if (route === undefined || route === TOKEN_PATH || !(Number(req.headers['content-length']) > 0)) return false
  return bodilessMethodRefuses(req.method, req.headers['content-type'], isManagementRoute(route))
}

/** True for a route of the management API, where Okta negotiates media types (E0000021). */
function isManagementRoute (url: string | undefined): boolean {
  return url !== undefined && url.startsWith('/api/v1/')
}

const REQUEST_ID_PREFIX = randomBytes(12).toString('base64url')
let requestSeq = 0

/** A Host field value: a DNS name, an IPv4 address or a bracketed IPv6 one, and a port (RFC 9112 §3.2). */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/

/**
 * Whether a request names exactly one valid Host. Okta is reached by its org's host name, and the emulator builds its
 * absolute links from it: a request without Host (HTTP/1.0 too), with an empty or malformed one (a path, a space, a
 * user part) or with two is refused, as RFC 9112 §3.2 has servers do for HTTP/1.1.
 */
function oneValidHost (host: string | undefined, raw: readonly string[]): boolean {
  if (host === undefined || !HOST.test(host)) return false
  let lines = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') lines++
  return lines === 1
}

/** Builds the app (not listening). */
export function buildServer (ctx: Ctx, settings: ServerSettings): FastifyInstance {
  const app = Fastify({
    logger: settings.logger ? loggerOptions : false,
    bodyLimit: settings.bodyLimit,
    // Fastify's default (0) turns Node's own limit off: a client that sends half a body would hold its socket forever.
    requestTimeout: 30_000,
    // Node refuses an HTTP/1.1 request without Host itself, with a bare 400; the onRequest hook below answers it (and a
    // Host that is empty, malformed or repeated) in Okta's error form, with Okta's headers, as every other one.
    // Node checks the timeout above only every 30 s by default, and a stalled body against its 60 s
    // `headersTimeout`: both brought to the 30 s limit.
    http: { requireHostHeader: false, connectionsCheckingInterval: 2_000, headersTimeout: 30_000 },
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Undecodable paths and over-long ids never reach onRequest: stamp the headers here too.
    frameworkErrors: (err, req, reply: FastifyReply) => {
      stamp(reply, 'user')
      const e = toOktaError(err, settings.bodyLimit, req.url.split('?')[0])
      void reply.code(e.status).send(e.toBody())
    },
    // HTTP that Node's parser refuses (a header block over its limit, a bad Content-Length) never becomes a request:
    // answer it in Okta's error form too, with Okta's headers.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return
      if (socket.writable) socket.write(clientErrorAnswer(err.code, stampHeaders(ctx.clock(), 'user').headers))
      socket.destroy()
    },
  })
  drainRefusedBodies(app)
  closeConnectionsWhenClosing(app)
  const limiter = new RateLimiter(settings.rateLimits)
  const checkAuth = ssws(settings.token)
  /** Okta's per-response headers at `now`, counting the request in `bucket`; `limited` when it is over the limit. */
  const stampHeaders = (now: number, bucket: RateLimitBucket): { headers: Record<string, string | number>, limited: boolean } => {
    const rate = limiter.hit(bucket, now)
    return {
      headers: {
        // Okta's exact `Content-Type: application/json` (no charset parameter, as real orgs send it).
        'content-type': 'application/json',
        'x-okta-request-id': `${REQUEST_ID_PREFIX}${(++requestSeq).toString(36)}`,
        date: httpDate(now),
        'x-rate-limit-limit': rate.limit,
        'x-rate-limit-remaining': rate.remaining,
        'x-rate-limit-reset': rate.reset,
        // Sent by real orgs on every API response (see the recorded captures).
        'accept-ch': 'Sec-CH-UA-Platform-Version',
        'referrer-policy': 'strict-origin-when-cross-origin',
      },
      limited: rate.limited,
    }
  }
  // CONNECT never becomes a request Fastify routes (Node hands it to a 'connect' listener, and without one drops the
  // connection unanswered): refused as Node's parser's refusals are.
  app.server.on('connect', (_req: unknown, socket: { end: (data: string) => unknown, on: (event: 'error', listener: () => void) => unknown }) => {
    // Node leaves such a socket without its own error listener: a client that resets it would crash the process.
    socket.on('error', () => {})
    socket.end(clientErrorAnswer(undefined, stampHeaders(ctx.clock(), 'user').headers))
  })
  // An `Expect` other than `100-continue`: without a listener Node answers a bare 417 (no body, no Okta headers).
  app.server.on('checkExpectation', (req: { socket: { end: (data: string) => unknown } }) => {
    req.socket.end(clientErrorAnswer('EXPECTATION_FAILED', stampHeaders(ctx.clock(), 'user').headers))
  })
  /** Adds Okta's per-response headers and counts the request; returns whether it is over the limit. */
  const stamp = (reply: FastifyReply, bucket: RateLimitBucket): boolean => {
    const { headers, limited } = stampHeaders(ctx.clock(), bucket)
    // With a serializer of its own on the reply, Fastify leaves the content type as set here.
    reply.serializer(JSON.stringify)
    reply.headers(headers)
    return limited
  }

  app.removeAllContentTypeParsers()
  // Registered for application/json (Fastify's exact-match fast path) and for anything else. Read as bytes and decoded
  // strictly: JSON is UTF-8 (RFC 8259), and a body that is not is malformed, never stored with U+FFFD in its place.
  const parseJson = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const route = req.routeOptions.url
    // No route at this path (404, or 405 for another method): the body is never looked at.
    if (route === undefined) {
      done(null, undefined)
      return
    }
    let text: string | undefined
    try { text = typeof body === 'string' ? body : UTF8.decode(body) } catch { text = undefined }
    if (text !== undefined && text.trim() === '') {
      done(null, undefined)
      return
    }
    // A body without a Content-Type is read as JSON (lenient); one that says it is something else is refused on the API.
    const type = req.headers['content-type']
    if (type !== undefined && isManagementRoute(route) && !isJsonType(type)) {
      done(unsupportedMediaType(), undefined)
      return
    }
    if (text === undefined) {
      done(malformedBody('The request body is not valid UTF-8.'), undefined)
      return
    }
    try {
      done(null, JSON.parse(text))
    } catch {
      done(malformedBody(), undefined)
    }
  }
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson)
  app.addContentTypeParser('*', { parseAs: 'buffer' }, parseJson)

  /** The onRequest hook of one route: Okta's headers, the rate limit of its bucket, SSWS auth unless public. */
  const guard = (bucket: RateLimitBucket, isPublic: boolean, scope: UsersScope | null = null, sswsOnly = false) => (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if (bucket === 'token') settings.oauth.tokenRequests++ // every one, whatever its outcome (its rate limit's 429 too)
    const limited = stamp(reply, bucket)
    if (!isPublic && isOAuthHeader(req.headers.authorization)) {
      // The emulator's own routes (codes, outbox, push answers) are an administrator's: no service app's token reads them.
      if (sswsOnly) {
        done(new OktaError(403, 'E0000006', 'You do not have permission to perform the requested action'))
        return
      }
      // An OAuth access token (Bearer or DPoP): checked against the scope the route needs.
      authorizeApi(settings.oauth, req, reply, scope, limited).then(() => {
        done(limited ? new OktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.') : unreadBodyType(req) ? unsupportedMediaType() : undefined)
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
    done(unreadBodyType(req) ? unsupportedMediaType() : undefined)
  }
  /** On /api/v1, after auth: the `Accept` header must admit what the route answers with (else 400 E0000021). */
  const acceptCheck = (produces: string) => (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    done(accepts(req.headers.accept, produces) ? undefined : unsupportedMediaType())
  }
  // A request without a body (no Content-Length, or 0, and no Transfer-Encoding) carries no media
  // type: a stray Content-Type on it, even a malformed one, describes nothing and is dropped.
  app.addHook('onRequest', (req, reply, done) => {
    const h = req.raw.headers
    if (!oneValidHost(h.host, req.raw.rawHeaders)) {
      stamp(reply, 'user')
      void reply.code(400).send(new OktaError(400, 'E0000020', 'Bad request.').toBody())
      return
    }
    if (h['content-type'] !== undefined && h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0')) {
      // Okta reads one parameter of it all the same: `okta-response` (what to leave out of a user).
      if (/okta-response/i.test(h['content-type'])) BODYLESS_CONTENT_TYPE.set(req.raw, h['content-type'])
      delete h['content-type']
    }
    done()
  })
  // A 429 of a route (a code asked for too soon) gives its DPoP proof back, as the rate limit's own 429 does.
  app.addHook('onSend', (req, reply, payload, done) => {
    returnProofOf429(settings.oauth, req, reply)
    done(null, payload)
  })
  const routes = new RouteTable(MAX_PARAM_LENGTH)
  // Each route gets its own hook with its bucket baked in, decided once at registration
  // (reading request.routeOptions per request builds a fresh object every time).
  app.addHook('onRoute', (route) => {
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const isPublic = route.config?.public === true
    routes.add(route.url, methods, isPublic)
    const checks = isManagementRoute(route.url) ? [acceptCheck(route.config?.produces ?? 'application/json')] : []
    const shadowed = route.url.includes(':') ? [routes.shadowGuard(route.url)] : []
    route.onRequest = [guard(route.config?.bucket ?? 'user', isPublic, scopeFor(methods[0] ?? 'GET', route.url), route.url.startsWith('/__emulator')), ...shadowed, ...checks, ...own]
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
  // A path no route has: 404 E0000007. A path that exists with other methods: 405 E0000022 and
  // `Allow` (the token endpoint answers it in the OAuth form, as every refusal there). Auth first,
  // as everywhere, except where every route at the path is public (the QR link, the token endpoint).
  const privateGuard = guard('user', false)
  const publicGuard = guard('user', true)
  const tokenGuard = guard('token', true)
  const isTokenPath = (url: string): boolean => (url.split('?')[0] ?? '').replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1') === TOKEN_PATH
  app.setNotFoundHandler({
    preValidation: (req, reply, done) => { (isTokenPath(req.url) ? tokenGuard : routes.at(req.url).isPublic ? publicGuard : privateGuard)(req, reply, done) },
  }, (req, reply) => {
    const path = req.url.split('?')[0] ?? ''
    const { methods } = routes.at(req.url)
    if (methods.length === 0 || methods.includes(req.method)) {
      void reply.code(404).send(notFound(withoutLinkTokens(path), 'Path').toBody())
      return
    }
    reply.header('allow', methods.join(', '))
    if (path.replace(/\/{2,}/g, '/').startsWith('/oauth2/')) {
      const e = new OAuthError(405, 'invalid_request', `The endpoint does not support the provided HTTP method; use ${methods.join(' or ')}.`)
      void reply.code(e.status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(e.toBody())
      return
    }
    void reply.code(405).send(methodNotAllowed().toBody())
  })

  usersRoutes(app, ctx)
  usersListRoutes(app, ctx)
  lifecycleRoutes(app, ctx)
  credentialsRoutes(app, ctx)
  metaRoutes(app, ctx)
  factorUpdateRoutes(app, ctx)
  factorsRoutes(app, ctx)
  verifyRoutes(app, ctx)
  emulatorRoutes(app, ctx)
  tokenRoute(app, settings.oauth)
  metadataRoute(app)
  return app
}
