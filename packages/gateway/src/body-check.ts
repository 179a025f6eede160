// The GraphQL POST body, checked as it was sent. Mercurius describes it with a JSON schema, and Fastify's ajv coerces
// types to fit one: `{"query":["{ factors { id } }"]}` ran as the text inside, `{"query":null}` as an empty document,
// `{"operationName":["A"]}` as "A". Here nothing is coerced: each member has its type or is absent.

import type { preParsingHookHandler } from 'fastify'
import { GatewayError } from './errors.js'

/** A validator of one part of a request, as Fastify's `validatorCompiler` returns it. */
type PartValidator = (data: unknown) => true | { error: Error }

const accept: PartValidator = () => true

/** The message of a refused body: the error formatter answers BAD_REQUEST with it. */
export const BODY_MESSAGE = 'The body must be a single GraphQL request object.'

/**
 * Most members an object in `variables` may have. The schema's widest input type has 6 fields; graphql-js quotes the
 * whole input object in each of its errors about an unknown field (up to 50 of them), so an object of many unknown
 * members cost time growing with the square of its size (seconds at 200 KB, with a raised `bodyLimit`). With at most
 * 16 members, graphql-js quotes a body at most 16 times.
 */
export const MAX_VARIABLE_MEMBERS = 16

/** The message of `variables` holding an object wider than {@link MAX_VARIABLE_MEMBERS}. */
export const WIDE_VARIABLES_MESSAGE = `An object in "variables" has more than ${MAX_VARIABLE_MEMBERS} members.`

/** What a body that is not a single GraphQL request object gets, its message public. */
function refused (message = BODY_MESSAGE): { error: Error } {
  // eslint-disable-next-line no-restricted-syntax -- Mercurius's validation error: the formatter answers it as the coded BAD_REQUEST with its publicMessage
  return { error: Object.assign(new Error(message), { publicMessage: message }) }
}

/**
 * Fastify's `validatorCompiler` for the GraphQL routes: the POST body is a JSON object whose `query` and
 * `operationName` are strings (`operationName` may be null), whose `variables` is an object or null and whose
 * `extensions` an object, each when present. Other parts (the GET route's query string, refused before it is read)
 * are not looked at. Linear time, constant memory beyond the walk of `variables` (see MAX_VARIABLE_MEMBERS).
 */
export function graphqlBodyValidator ({ httpPart }: { httpPart?: string | undefined }): PartValidator {
  return httpPart === 'body' ? checkBody : accept
}

function checkBody (body: unknown): true | { error: Error } {
  if (!isObject(body)) return refused()
  const { query, operationName, variables, extensions } = body as Record<string, unknown>
  const ok = (query === undefined || typeof query === 'string') &&
    (operationName === undefined || operationName === null || typeof operationName === 'string') &&
    (variables === undefined || variables === null || isObject(variables)) &&
    (extensions === undefined || isObject(extensions))
  if (!ok) return refused()
  return hasWideObject(variables) ? refused(WIDE_VARIABLES_MESSAGE) : true
}

/** Whether `value` holds, at any depth, an object of more than MAX_VARIABLE_MEMBERS members; iterative, linear. */
function hasWideObject (value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const next = stack.pop()
    if (typeof next !== 'object' || next === null) continue
    if (Array.isArray(next)) {
      for (const item of next) stack.push(item)
      continue
    }
    let members = 0
    for (const key in next) {
      if (++members > MAX_VARIABLE_MEMBERS) return true
      stack.push((next as Record<string, unknown>)[key])
    }
  }
  return false
}

function isObject (value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The message of a POST whose body came compressed and was not decoded. */
export const ENCODED_BODY_MESSAGE = 'The body must not be compressed: send it without a Content-Encoding (or with identity).'

/**
 * The GraphQL route's last `preParsing` hook: refuses a body sent in a content coding (gzip, deflate, br, ...) that
 * nothing decoded (BAD_REQUEST, with `Accept-Encoding: identity` as RFC 9110 asks). Read as it came, a compressed body
 * would be parsed as JSON, and a body labelled `br` that is plain JSON would run as if the label were not there. An app
 * that decodes request bodies (@fastify/compress, or a `preParsing` hook of its own) replaces the payload stream before
 * this hook runs, and its bodies pass (so does a body whose stream any earlier hook replaced: this one cannot tell a
 * decoder from a body capture). A stated length over the route's `bodyLimit` goes on to Fastify's 413, as any body
 * over it does. `identity` (any case) and an empty value mean no coding.
 */
export const refuseEncodedBody: preParsingHookHandler = (request, reply, payload, done) => {
  const coding = request.headers['content-encoding']
  const length = request.headers['content-length']
  if (payload !== request.raw || coding === undefined || /^[ \t]*(identity[ \t]*)?$/i.test(coding) || Number(length) > request.routeOptions.bodyLimit) {
    done(null, payload)
    return
  }
  reply.header('accept-encoding', 'identity')
  // Refused unread, as Fastify refuses a body over its limit: the connection is to close, and the route's error
  // handler takes that back when the rest is of a stated, bounded length, which Node then reads and drops (drain.ts).
  reply.header('connection', 'close')
  done(new GatewayError('BAD_REQUEST', {}, ENCODED_BODY_MESSAGE))
}
