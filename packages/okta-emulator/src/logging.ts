// The request logger's options (`logger: true`): Fastify's, except that the token of a link the emulator hands out
// never reaches a log: a QR code link's (it fetches the QR code, which carries the factor's shared secret), a user
// activation link's (`/tokens/{token}/verify`) and a password reset link's (`/signin/reset-password/{token}`).
import type { FastifyRequest } from 'fastify'

/** A path segment after `/qr/`, `/tokens/` or `/reset-password/`: the token of a link the emulator hands out. */
const LINK_TOKEN = /(\/(?:qr|tokens|reset-password)\/)[^/?#\s]+/g

/** `text` with every link token in it replaced. */
export function withoutLinkTokens (text: string): string {
  return text.replace(LINK_TOKEN, '$1[REDACTED]')
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
