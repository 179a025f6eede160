// The app's logger settings: whatever level or stream the caller picks, a logged request shows its path without the
// query string (a query may carry a password, a passcode or a returnTo someone crafted), and the headers that carry
// sessions or tokens are redacted wherever a log line includes them, and no error carries the raw bytes of a request
// (Node's `rawPacket` of a request its parser refused, which Fastify logs at trace level).
import type { FastifyServerOptions } from 'fastify'

type LoggerOption = FastifyServerOptions['logger']

/** pino redact paths: session cookies and credentials, in requests, responses and any object logged as `headers`. */
export const APP_REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
  'headers.cookie', 'headers.authorization', 'headers["set-cookie"]', 'password', '*.password', 'passCode', '*.passCode',
])

/** A request URL without its query string. */
export function pathOf (url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** How deep {@link serializeError} follows `cause`s. */
const CAUSE_DEPTH = 3

/**
 * The `err` serializer: type, message, stack, the error's own fields and its cause, without raw bytes. Node's
 * `rawPacket` of a malformed request (both Content-Length and Transfer-Encoding, a header block over 16 KiB…) is
 * dropped: it holds the request as it came, its session cookie, query string and form body (a password) included.
 * Any other binary value is replaced by its size. The same rule as the gateway's logger.
 */
function serializeError (err: unknown, depth = 0): unknown {
  if (typeof err !== 'object' || err === null) return err
  const out: Record<string, unknown> = err instanceof Error ? { type: err.constructor.name, message: err.message, stack: err.stack } : {}
  for (const [k, v] of Object.entries(err)) {
    if (k === 'rawPacket' || k in out) continue
    out[k] = ArrayBuffer.isView(v) || v instanceof ArrayBuffer ? `[binary, ${v.byteLength} bytes]` : v
  }
  const cause = (err as { cause?: unknown }).cause
  if (cause !== undefined) out.cause = depth < CAUSE_DEPTH ? serializeError(cause, depth + 1) : '[cause]'
  return out
}

interface LoggedRequest { id?: string, method?: string, url?: string, ip?: string, socket?: { remoteAddress?: string } }

/**
 * Fastify `logger` option with the app's hygiene added: the request serializer logs the path only, errors are
 * logged without raw request bytes ({@link serializeError}), and {@link APP_REDACT_PATHS} are redacted. `false`/`undefined` stay off.
 *
 * @example
 * Fastify({ logger: safeLoggerOptions({ level: 'debug' }) })
 */
export function safeLoggerOptions (logger: LoggerOption): LoggerOption {
  if (logger === undefined || logger === false) return false
  const base = (logger === true ? {} : logger) as Record<string, unknown>
  const serializers = (base.serializers ?? {}) as Record<string, unknown>
  return {
    ...base,
    redact: { paths: [...APP_REDACT_PATHS], censor: '[Redacted]' },
    serializers: {
      ...serializers,
      // A caller's own err serializer still runs, and its result loses the raw bytes too.
      err: typeof serializers.err === 'function' ? (err: unknown) => serializeError((serializers.err as (e: unknown) => unknown)(err)) : serializeError,
      req: (req: LoggedRequest) => ({ id: req.id, method: req.method, url: pathOf(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
    },
  } as LoggerOption
}
