// The app's logger settings: whatever level or stream the caller picks, a logged request shows its path without the
// query string (a query may carry a password, a passcode or a returnTo someone crafted), and the headers that carry
// sessions or tokens are redacted wherever a log line includes them.
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

interface LoggedRequest { id?: string, method?: string, url?: string, ip?: string, socket?: { remoteAddress?: string } }

/**
 * Fastify `logger` option with the app's hygiene added: the request serializer logs the path only, and
 * {@link APP_REDACT_PATHS} are redacted. `false`/`undefined` stay off.
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
      req: (req: LoggedRequest) => ({ id: req.id, method: req.method, url: pathOf(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
    },
  } as LoggerOption
}
