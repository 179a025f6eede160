// The request logger's options (`logger: true`): Fastify's, except that a QR code link's token never reaches a log.
// The token is the credential that fetches the QR code, and the QR code carries the factor's shared secret.
import type { FastifyRequest } from 'fastify'

/** A path segment after `/qr/`: the token of `GET /api/v1/users/{id}/factors/{id}/qr/{token}`. */
const QR_TOKEN = /(\/qr\/)[^/?#\s]+/g

/** `text` with every QR link token in it replaced. */
export function withoutQrTokens (text: string): string {
  return text.includes('/qr/') ? text.replace(QR_TOKEN, '$1[REDACTED]') : text
}

/** Fastify logger options: its default request fields, the URL without QR tokens, in its lines' messages too. */
export const loggerOptions = {
  serializers: {
    req: (req: FastifyRequest) => ({
      method: req.method,
      url: withoutQrTokens(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    }),
  },
  hooks: {
    // Fastify's own "Route POST:/…/qr/{token} not found" line carries the URL in its message.
    logMethod (this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
      for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = withoutQrTokens(args[i] as string)
      method.apply(this, args)
    },
  },
}
