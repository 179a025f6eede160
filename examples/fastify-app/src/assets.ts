// The pages' static files and the headers every response carries (the pages load only their own scripts and styles).
import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply } from 'fastify'

const ASSETS = {
  'app.css': 'text/css; charset=utf-8',
  'enroll.js': 'text/javascript; charset=utf-8',
  'countdown.js': 'text/javascript; charset=utf-8',
  'forms.js': 'text/javascript; charset=utf-8',
  'favicon.ico': 'image/x-icon',
} as const

/** Pages only load their own scripts and styles; the QR code is a data: image. */
const CSP = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

/**
 * Sets the headers every response carries (and CSP and no-store on a page, no-store on any answer with a cookie) on
 * `reply`, once its content type is set and the session's cookie is.
 * The onSend hook calls it; so do the answers Fastify gives before routing, which no hook sees.
 * @example
 * securityHeaders(reply.code(400).type('text/plain; charset=utf-8'))
 * void reply.send('That address is not valid.')
 */
export function securityHeaders (reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff')
  reply.header('referrer-policy', 'same-origin')
  reply.header('x-frame-options', 'DENY')
  if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
    reply.header('content-security-policy', CSP)
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  }
  // An answer that carries a session cookie (the icon or a script fetched as a session is re-sealed, renewed or signed
  // out) is for this browser only: a shared cache may keep a Set-Cookie with what it stores, and hand it to everyone.
  if (reply.hasHeader('set-cookie') && !/\bno-store\b/i.test(String(reply.getHeader('cache-control') ?? ''))) {
    reply.header('cache-control', 'private, no-store')
  }
}

/**
 * Security headers on every response (CSP and no-store on pages), `/assets/:name` and `/favicon.ico`.
 * @example
 * securityHeadersAndAssets(app)
 */
export function securityHeadersAndAssets (app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => { securityHeaders(reply) })

  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(new URL(`../public/${name}`, import.meta.url)) }]))
  app.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name)
    if (asset === undefined) return await reply.code(404).header('x-error-code', 'NOT_FOUND').type('text/plain').send('not found')
    await reply.header('cache-control', 'no-cache').type(asset.type).send(asset.body)
  })

  app.get('/favicon.ico', async (request, reply) => {
    const icon = assets.get('favicon.ico')!
    await reply.header('cache-control', 'public, max-age=86400').type(icon.type).send(icon.body)
  })
}
