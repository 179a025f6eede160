// The request logger's options (`logger: true`): Fastify's, except that the token of a link the emulator hands out
// never reaches a log (nor a 404's summary): a QR code link's (it fetches the QR code, which carries the factor's
// shared secret), a user activation link's (`/tokens/{token}/verify`) and a password reset link's
// (`/signin/reset-password/{token}`).
import type { FastifyRequest } from 'fastify'

/** The path segments after which the emulator's links carry a token. */
const LINK_NAMES = new Set(['qr', 'tokens', 'reset-password'])
/** One path segment with the slashes before it (the router takes `//` as `/`). */
const SEGMENT = /(\/+)([^/?#\s]*)/g

/** A segment as the router reads it (`q%72` is `qr`); compared without case, so a mistyped `/QR/` link's 404 line is redacted too. */
function decoded (segment: string): string {
  if (!segment.includes('%')) return segment
  // Only well-formed escapes are decoded: a path of malformed ones (`/%/%/…`) must not cost an exception per segment.
  if (!WELL_ESCAPED.test(segment)) return segment
  try { return decodeURIComponent(segment) } catch { return segment }
}

/** A segment whose every `%` starts an escape. */
const WELL_ESCAPED = /^(?:[^%]|%[0-9A-Fa-f]{2})*$/

/**
 * `text` with every link token in it replaced: the segment after `qr`, `tokens` or `reset-password`, however the path
 * spells them (`/qr//{token}` and `/q%72/{token}` reach the same route). One pass, linear in the text.
 */
export function withoutLinkTokens (text: string): string {
  let redactNext = false
  let end = -1
  return text.replace(SEGMENT, (match: string, slashes: string, segment: string, at: number) => {
    if (at !== end) redactNext = false // not the same path: a space or a query came between
    end = at + match.length
    if (segment === '') return match
    if (redactNext) {
      redactNext = false
      return `${slashes}[REDACTED]`
    }
    redactNext = LINK_NAMES.has(segment.length <= 42 ? decoded(segment).toLowerCase() : '')
    return match
  })
}

/** Fastify logger options: its default request fields, the URL without link tokens, in its lines' messages too. */
export const loggerOptions = {
  serializers: {
    req: (req: FastifyRequest) => ({
      method: req.method,
      url: withoutLinkTokens(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    }),
  },
  hooks: {
    // Fastify's own "Route POST:/…/qr/{token} not found" line carries the URL in its message.
    logMethod (this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
      for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = withoutLinkTokens(args[i] as string)
      method.apply(this, args)
    },
  },
}
