// Request ids and log hygiene. The request id ties a client's report, our logs and Okta's logs together; the
// redaction list keeps secrets out of logs even when someone logs a whole object by mistake.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'
import { shareableRedisError } from '@okta-mfa/core'

/** Header carrying the request id, in both directions (and to Okta). */
export const REQUEST_ID_HEADER = 'x-request-id'

/**
 * An incoming request id is honored only in this shape: short, no spaces or control characters, so it cannot
 * forge log lines or smuggle headers when it is forwarded to Okta.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/

/**
 * Fastify `genReqId`: the incoming `X-Request-Id` when it matches {@link REQUEST_ID_PATTERN}, else a random UUID.
 *
 * @example
 * ```ts
 * const app = Fastify({ genReqId, requestIdHeader: false })
 * ```
 */
export function genReqId (req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID()
}

/**
 * Field names whose values are secrets or personal data wherever they appear (up to four levels deep in a log
 * object): passcodes, answers, keys, tokens, cookies, phone numbers, e-mail addresses, and GraphQL variables as a whole.
 */
export const SECRET_FIELDS = [
  'passCode', 'answer', 'sharedSecret', 'secret', 'token', 'apiToken', 'sessionKey', 'password', 'authorization', 'cookie',
  'phoneNumber', 'email', 'variables', 'otpauthUri', 'qrCodeDataUri',
] as const

/**
 * Request and response headers that carry credentials or sessions, redacted in every logged `headers` object
 * (`req.headers`, `res.headers`, or one logged on its own): the API token, bearer and proxy credentials, API keys,
 * cookies, CSRF tokens and DPoP proofs.
 */
export const SECRET_HEADERS = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-okta-api-token', 'x-api-key', 'x-auth-token',
  'x-access-token', 'x-csrf-token', 'x-xsrf-token', 'dpop',
] as const

/**
 * pino `redact` paths: secret fields at any of the first four levels, and the {@link SECRET_HEADERS} of requests
 * and responses.
 */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  ...SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`]),
])

const SECRET_KEYS: ReadonlySet<string> = new Set<string>([...SECRET_FIELDS, ...SECRET_HEADERS])

/** Copies `value` with every {@link SECRET_FIELDS} and {@link SECRET_HEADERS} entry (at any depth) replaced by '[Redacted]'. */
export function redactSecrets (value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (depth > 8) return '[Truncated]' // deeper than anything we log on purpose: never pass it on unredacted
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.has(k) || SECRET_KEYS.has(k.toLowerCase()) ? '[Redacted]' : redactSecrets(v, depth + 1)
  }
  return out
}

/**
 * What the gateway logs about a GraphQL request at debug level: the operation name and the NAMES of its variables,
 * never their values. Redacting values by variable name cannot work: `verifyFactor(passCode: $c)` binds a passcode
 * to a variable named anything, so no value is logged at all.
 *
 * @example
 * ```ts
 * request.log.debug({ graphql: graphqlRequestSummary(request.body) }, 'graphql request')
 * ```
 */
export function graphqlRequestSummary (body: unknown): {
  /** The body's `operationName`, cut to 128 characters; undefined when it is not a string. */
  operationName: string | undefined
  /** The names of the body's variables, never their values: at most 50, each cut to 64 characters. */
  variableNames: string[]
} {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { operationName?: unknown, variables?: unknown }
  const operationName = typeof b.operationName === 'string' ? b.operationName.slice(0, 128) : undefined
  const vars = b.variables
  const variableNames = typeof vars === 'object' && vars !== null && !Array.isArray(vars) ? Object.keys(vars).slice(0, 50).map((k) => k.slice(0, 64)) : []
  return { operationName, variableNames }
}

/** A request target in absolute form (`GET http://user:pass@host/path HTTP/1.1`): its scheme and authority. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/

/**
 * A request target as logged: without its query string (a query may carry a passcode someone put there) and, in
 * absolute form, without the user name and password before the host (`http://host/path`).
 */
export function pathOnly (url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const authority = ABSOLUTE_FORM.exec(path)?.[0]
  const at = authority?.lastIndexOf('@') ?? -1
  if (authority === undefined || at === -1) return path
  return `${authority.slice(0, authority.indexOf('//') + 2)}${path.slice(at + 1)}`
}

/**
 * Fastify's not-found line, `Route GET:/reset?token=… not found`, written by its default not-found handler (an app's
 * unknown paths, and with the plugin the methods Fastify does not route on the GraphQL path): its URL as every
 * logged URL is (see `pathOnly`). Any other message is left as it is.
 */
function notFoundLine (msg: string): string {
  const colon = msg.indexOf(':')
  if (!msg.startsWith('Route ') || !msg.endsWith(' not found') || colon === -1) return msg
  return `${msg.slice(0, colon + 1)}${pathOnly(msg.slice(colon + 1, -' not found'.length)) ?? ''} not found`
}

/**
 * The only request headers the request line logs: what says where a request came from and what it is. Any other
 * header is left out, so that the credentials an auth proxy adds under names of its own (`x-forwarded-access-token`,
 * `x-amzn-oidc-accesstoken`, `cf-access-jwt-assertion`, ...) and the original URLs some proxies pass on with their
 * query (`x-original-uri`, `x-envoy-original-path`) never reach a log, whatever they are called.
 */
const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'accept', 'origin', 'referer', 'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'] as const

/**
 * The headers as logged: only {@link LOGGED_HEADERS}, and of the Referer only its origin (scheme, host, port). The
 * page that called the gateway may carry a secret anywhere in its URL: `/reset?token=…`, an OAuth callback's
 * `?code=…`, `/reset-password/<token>`, `;jsessionid=…`, a user name and password before the host. So too the Origin,
 * which a browser sends as an origin already, but any other client as it likes.
 */
function loggedHeaders (headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (headers === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const h of LOGGED_HEADERS) {
    const v = headers[h]
    if (v === undefined) continue
    if (h !== 'referer' && h !== 'origin') out[h] = v
    else if (typeof v === 'string') out[h] = h === 'origin' && v === 'null' ? v : originOf(v)
  }
  return out
}

/** The origin of a URL, `null` for one without (`about:blank`, a `data:` URL), or '[unparsable]'. */
function originOf (url: string): string {
  if (!URL.canParse(url)) return '[unparsable]'
  return new URL(url).origin
}

interface SerializableRequest {
  id?: string
  method?: string
  url?: string
  headers?: Record<string, unknown>
  ip?: string
  socket?: { remoteAddress?: string }
}

const PLAIN_DEPTH = 6

/**
 * `value` with every Buffer, typed array or ArrayBuffer in it (through plain objects and arrays, a few levels deep)
 * replaced by a short description: pino's redaction of wildcard paths throws on binary values, and their bytes (a
 * raw request, a body) may hold secrets. Anything else is returned as it is; a copy is made only where needed.
 */
function binarySafe (value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} of ${value.byteLength} bytes]`
  if (value instanceof ArrayBuffer) return `[ArrayBuffer of ${value.byteLength} bytes]`
  if (depth >= PLAIN_DEPTH) return value
  if (value instanceof Error) return serializeLogError(value, depth)
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    value.forEach((v, i) => {
      const safe = binarySafe(v, depth + 1)
      if (safe !== v) (copy ??= [...value])[i] = safe
    })
    return copy ?? value
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value // a class instance (a request): its serializer's business
  let copy: Record<string, unknown> | undefined
  for (const [k, v] of Object.entries(value)) {
    const safe = binarySafe(v, depth + 1)
    if (safe !== v) (copy ??= { ...value })[k] = safe
  }
  return copy ?? value
}

/**
 * The `err` serializer of {@link gatewayLoggerOptions}: type, message, stack, the error's own fields and its cause,
 * with no raw bytes (Node's `rawPacket` of a malformed request is dropped: it holds the request's headers and body as
 * they came, a session cookie and a password included; Fastify logs it at trace level). For an app's own logger.
 *
 * @example
 * ```ts
 * // The cast: Fastify types `err` serializers as returning { type, message, stack }, which this does for an Error.
 * const app = Fastify({ logger: { level: 'trace', serializers: { err: (err) => serializeLogError(err) as { type: string, message: string, stack: string } } } })
 * ```
 */
export function serializeLogError (err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return binarySafe(err, depth)
  // A Redis reply's message may quote the command's arguments (an unknown AUTH's: the password): cut as core cuts it,
  // in the stack's first line too.
  const message = err.name === 'ReplyError' ? shareableRedisError(err).message : err.message
  const stack = message === err.message ? err.stack : err.stack?.replace(err.message, message)
  const out: Record<string, unknown> = { type: err.constructor.name, message, stack }
  if (depth >= PLAIN_DEPTH) return out
  for (const [k, v] of Object.entries(err)) {
    if (k === 'rawPacket' || k in out) continue
    // An ioredis error's command keeps its name only: its arguments hold keys and values, and a refused AUTH's the password.
    out[k] = k === 'command' && isRedisCommand(v) ? { name: v.name } : binarySafe(v, depth + 1)
  }
  if (err instanceof AggregateError && Array.isArray(err.errors)) {
    out.aggregateErrors = err.errors.slice(0, 10).map((e: unknown) => serializeLogError(e, depth + 1))
  }
  if (err.cause !== undefined) out.cause = serializeLogError(err.cause, depth + 1)
  return out
}

function isRedisCommand (v: unknown): v is { name: unknown, args: unknown } {
  return typeof v === 'object' && v !== null && 'name' in v && 'args' in v
}

/** What is written instead of an entry pino could not write (redaction threw on something inside it). */
const DROPPED = { logError: 'this entry could not be redacted and was dropped' }

/**
 * Fastify logger options for a gateway server: pino redaction of {@link REDACT_PATHS}, a request serializer
 * that logs the path without its query string and a few headers (never credentials), Fastify's not-found line
 * (`Route GET:/path not found`) without the query either, and no binary values (see `binarySafe`: a Buffer under a
 * redacted path would make pino throw, which took the server down).
 *
 * @example
 * ```ts
 * const app = Fastify({ logger: gatewayLoggerOptions({ level: 'info' }), genReqId, requestIdHeader: false })
 * ```
 */
export function gatewayLoggerOptions (options: {
  /** The pino log level. @default 'info' */
  level?: string
  /** Where the log lines go. @default standard output */
  stream?: NodeJS.WritableStream
} = {}): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  const logger: Record<string, unknown> = {
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[Redacted]' },
    serializers: {
      req (req: SerializableRequest) {
        return { id: req.id, method: req.method, url: pathOnly(req.url), headers: loggedHeaders(req.headers), remoteAddress: req.ip ?? req.socket?.remoteAddress }
      },
      err: (err: unknown) => serializeLogError(err),
    },
    hooks: {
      logMethod (this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
        if (typeof args[0] === 'object' && args[0] !== null) args[0] = binarySafe(args[0])
        else if (typeof args[0] === 'string') args[0] = notFoundLine(args[0])
        try {
          method.apply(this, args)
        } catch {
          // A binary value deep inside a class instance (not walked above) still makes the redaction throw: a log
          // call must never take the server down, nor write what it could not redact.
          method.apply(this, [DROPPED, typeof args[1] === 'string' ? args[1] : undefined])
        }
      },
    },
  }
  if (options.stream !== undefined) logger.stream = options.stream
  return logger as Exclude<FastifyServerOptions['logger'], boolean | undefined>
}

/** pino's own symbol for a logger's serialized bindings, found once per root logger (undefined: not pino). */
const chindingsSymbols = new WeakMap<object, symbol | null>()

function chindingsSymbolOf (logger: object): symbol | undefined {
  let found = chindingsSymbols.get(logger)
  if (found === undefined) {
    found = Object.getOwnPropertySymbols(logger).find((s) => s.description === 'pino.chindings') ?? null
    chindingsSymbols.set(logger, found)
  }
  return found ?? undefined
}

/**
 * Fastify `childLoggerFactory` of the standalone server (`buildGatewayServer`): the per-request child logger with its
 * request id, made without running pino's redaction over that id. With redact paths that start with a wildcard (ours
 * do, to catch a secret field at any depth), pino passes every child binding through the whole redaction, about 7 µs
 * per request; there the request id is a string (a checked `X-Request-Id` or a UUID, see {@link genReqId}) under
 * `reqId`, which none of {@link REDACT_PATHS} matches, so it is bound as pino would write it. Redaction of everything
 * logged is unchanged. Anything else (other bindings, child options, a logger that is not pino) goes through
 * `logger.child` as usual. Only for a logger whose redact paths cannot match the request id: the plugin in an app
 * leaves the app's factory, and so its redaction of its own request ids, alone.
 *
 * @example
 * ```ts
 * app.setChildLoggerFactory(requestChildLogger)
 * ```
 */
export const requestChildLogger: FastifyInstance['childLoggerFactory'] = function (logger: FastifyBaseLogger, bindings: Record<string, unknown>, opts: object) {
  const keys = Object.keys(bindings)
  const value = bindings[keys[0] ?? '']
  const symbol = keys.length === 1 && typeof value === 'string' && Object.keys(opts).length === 0 ? chindingsSymbolOf(logger) : undefined
  if (symbol === undefined) return logger.child(bindings, opts)
  const child = logger.child({}) as FastifyBaseLogger & Record<symbol, unknown>
  child[symbol] = `${String(child[symbol])},${JSON.stringify(keys[0])}:${JSON.stringify(value)}`
  return child
}
