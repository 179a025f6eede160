// The app's logger settings: whatever level or stream the caller picks, a logged request shows its path without the
// query string (a query may carry a password, a passcode or a returnTo someone crafted), and the headers that carry
// sessions or tokens are redacted wherever a log line includes them, and no error carries the raw bytes of a request
// (Node's `rawPacket` of a request its parser refused, which Fastify logs at trace level).
import type { FastifyServerOptions } from 'fastify'
import { serializeLogError } from '@okta-mfa/gateway'

type LoggerOption = FastifyServerOptions['logger']

/** pino redact paths: session cookies and credentials, in requests, responses and any object logged as `headers`. */
export const APP_REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
  'headers.cookie', 'headers.authorization', 'headers["set-cookie"]', 'password', '*.password', 'passCode', '*.passCode',
])

/**
 * A request URL as logged: its path, without the query string and, for a request target in absolute form
 * (`GET http://user:pass@host/path HTTP/1.1`), without the scheme, the user name and password, and the host.
 */
export function pathOf (url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const origin = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(path)?.[0]
  return origin === undefined ? path : path.slice(origin.length) || '/'
}

interface LoggedRequest { id?: string, method?: string, url?: string, ip?: string, socket?: { remoteAddress?: string } }

/**
 * Fastify `logger` option with the app's hygiene added: the request serializer logs the path only, errors are
 * logged without raw request bytes (the gateway's `serializeLogError`), and {@link APP_REDACT_PATHS} are redacted. `false`/`undefined` stay off.
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
      err: typeof serializers.err === 'function' ? (err: unknown) => serializeLogError((serializers.err as (e: unknown) => unknown)(err)) : (err: unknown) => serializeLogError(err),
      req: (req: LoggedRequest) => ({ id: req.id, method: req.method, url: pathOf(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
    },
  } as LoggerOption
}
