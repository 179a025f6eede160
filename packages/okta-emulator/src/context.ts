// What every route handler needs: the state, the clock, the outbox and the resolved options.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { malformedBody } from './errors.js'
import type { Outbox } from './outbox.js'
import type { Store } from './store.js'

/** Resolved settings and state shared by the routes. */
export interface Ctx {
  store: Store
  clock: () => number
  outbox: Outbox
  totpWindow: number
  lockoutThreshold: number
  rejectReplayedCodes: boolean
  issuer: string
}

/** The Content-Type a bodyless request carried, kept when it holds Okta's `okta-response` parameter (see server.ts). */
export const BODYLESS_CONTENT_TYPE = new WeakMap<object, string>()

/** The request's Content-Type, also when the request had no body to describe (a GET with `okta-response`). */
export function contentTypeOf (request: FastifyRequest): string | undefined {
  return request.headers['content-type'] ?? BODYLESS_CONTENT_TYPE.get(request.raw)
}

/** `http://host:port` of the request, for absolute `_links` and `Link` headers. */
export function baseUrl (request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

/** ISO timestamp in whole seconds (`….000Z`), as real orgs write them; null stays null. */
export function iso (ms: number): string
export function iso (ms: number | null): string | null
export function iso (ms: number | null): string | null {
  return ms === null ? null : new Date(ms - (ms % 1000)).toISOString()
}

/** The request body as an object ({} when absent); anything else is a malformed body. */
export function objectBody (request: FastifyRequest): Record<string, unknown> {
  const b = request.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw malformedBody('The request body must be a JSON object.')
  return b as Record<string, unknown>
}

/** The first own field of `value` not in `allowed` (a misspelt option or seed field), or undefined. */
export function unknownField (value: object, allowed: ReadonlySet<string>): string | undefined {
  return Object.keys(value).find((k) => !allowed.has(k))
}

/** True when `v` is a plain object (not null, not an array). */
export function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'on', 'yes', '1'])
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'off', 'no', '0'])

/**
 * A query flag. Okta's API is a Spring application, whose boolean parameters take `true`/`false` in any case (and
 * `on`/`off`, `yes`/`no`, `1`/`0`): `?activate=False`, as Python's `requests` writes it, is false. Any other value
 * uses the default (this project's choice; Okta does not document its answer).
 */
export function flag (v: unknown, dflt: boolean): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v !== 'string' || v.length > 16) return dflt
  const word = v.trim().toLowerCase()
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  return dflt
}

/** Answers 204 with no body and no Content-Type (as Okta answers a DELETE). */
export function noContent (reply: FastifyReply): void {
  reply.removeHeader('content-type')
  void reply.code(204).send()
}
