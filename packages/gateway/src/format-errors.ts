// The one place where anything thrown while serving a GraphQL request becomes what the client sees: a code from
// the table, a public message, the request id, and an HTTP status that follows the code. Everything unknown is masked.
import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { ExecutionResult, FormattedExecutionResult, GraphQLError } from 'graphql'
import { GATEWAY_ERRORS, GatewayError, fromClientError, type GatewayErrorCode } from './errors.js'

/** One error as sent to the client. */
export interface PublicError {
  message: string
  locations?: ReadonlyArray<{ line: number, column: number }> | undefined
  path?: ReadonlyArray<string | number> | undefined
  extensions: { code: GatewayErrorCode, requestId?: string | undefined, retryAfterSeconds?: number | undefined, field?: string | undefined, attemptsRemaining?: number | undefined }
}

/** graphql-js appends suggestions that leak the schema to a caller who may not introspect it. */
const SUGGESTION = /\s*Did you mean [\s\S]*$/

/** Removes graphql-js "Did you mean …?" suggestions from a message. */
export function stripSuggestions (message: string): string {
  return message.replace(SUGGESTION, '')
}

interface FastifyLikeError { code?: unknown, statusCode?: unknown, validationContext?: unknown, errors?: unknown }

/** Fastify's own refusals of a body or a content type, by code. */
const TRANSPORT: Readonly<Record<string, GatewayErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  MER_ERR_METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
}

/**
 * Classifies one error (thrown by a resolver, by mercurius, or by Fastify before the handler) into public errors.
 * Validation failures carry their nested errors, which become one public error each.
 */
function classify (gqlError: GraphQLError, requestId: string | undefined, log: FastifyBaseLogger): PublicError[] {
  const original = gqlError.originalError as (Error & FastifyLikeError) | undefined
  const where = { locations: gqlError.locations, path: gqlError.path }

  if (original === undefined) {
    // A GraphQLError of graphql-js itself: syntax or validation (mercurius wraps those, but stay safe) or execution.
    if (gqlError.path !== undefined) return [internal(gqlError, requestId, log, where)]
    return [pub('GRAPHQL_VALIDATION_FAILED', stripSuggestions(gqlError.message), requestId, where)]
  }
  if (original instanceof GatewayError) return [fromGatewayError(original, requestId, where, log)]

  const client = fromClientError(original)
  if (client !== undefined) return [fromGatewayError(client, requestId, where, log)]

  const code = typeof original.code === 'string' ? original.code : undefined
  if (code === 'MER_ERR_GQL_VALIDATION' && Array.isArray(original.errors)) {
    return (original.errors as Array<Error & FastifyLikeError & Partial<GraphQLError>>).map((nested) => {
      if (nested.validationContext !== undefined) return pub('BAD_REQUEST', 'The body must be a single GraphQL request object.', requestId, {})
      const message = stripSuggestions(String(nested.message))
      const nestedWhere = { locations: nested.locations, path: undefined }
      return pub(message.startsWith('Variable "$') ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED', message, requestId, nestedWhere)
    })
  }
  if (code === 'MER_ERR_GQL_CSRF_PREVENTION') return [pub('BAD_REQUEST', original.message, requestId, {})]
  if (code !== undefined && Object.hasOwn(TRANSPORT, code)) {
    const mapped = TRANSPORT[code]!
    return [pub(mapped, GATEWAY_ERRORS[mapped].message, requestId, {})]
  }
  const status = typeof original.statusCode === 'number' ? original.statusCode : 500
  if (code !== undefined && /^(FST_|MER_ERR_GQL_PERSISTED)/.test(code) && status >= 400 && status < 500) {
    return [pub('BAD_REQUEST', GATEWAY_ERRORS.BAD_REQUEST.message, requestId, {})]
  }
  return [internal(original, requestId, log, where)]
}

function fromGatewayError (err: GatewayError, requestId: string | undefined, where: Where, log: FastifyBaseLogger): PublicError {
  const cause = err.cause as { code?: unknown, status?: unknown, errorCode?: unknown, requestId?: unknown } | undefined
  const upstream = cause === undefined
    ? undefined
    : { code: cause.code, status: cause.status, errorCode: cause.errorCode, oktaRequestId: cause.requestId }
  const level = err.code.startsWith('UPSTREAM_') || err.code === 'STORE_UNAVAILABLE' ? 'warn' : 'info'
  log[level]({ code: err.code, upstream }, 'graphql error')
  const out = pub(err.code, err.message, requestId, where)
  if (err.details.retryAfterSeconds !== undefined) out.extensions.retryAfterSeconds = err.details.retryAfterSeconds
  if (err.details.field !== undefined) out.extensions.field = err.details.field
  if (err.details.attemptsRemaining !== undefined) out.extensions.attemptsRemaining = err.details.attemptsRemaining
  return out
}

type Where = { locations?: ReadonlyArray<{ line: number, column: number }> | undefined, path?: ReadonlyArray<string | number> | undefined }

function internal (err: unknown, requestId: string | undefined, log: FastifyBaseLogger, where: Where): PublicError {
  log.error({ err }, 'internal error in the GraphQL gateway')
  const suffix = requestId === undefined ? '' : ` Request id: ${requestId}.`
  return pub('INTERNAL', `${GATEWAY_ERRORS.INTERNAL.message}${suffix}`, requestId, where)
}

function pub (code: GatewayErrorCode, message: string, requestId: string | undefined, where: Where): PublicError {
  const out: PublicError = { message, extensions: { code } }
  if (where.locations !== undefined) out.locations = where.locations
  if (where.path !== undefined) out.path = where.path
  if (requestId !== undefined) out.extensions.requestId = requestId
  return out
}

interface FormatterContext { reply?: FastifyReply, app?: { log: FastifyBaseLogger } }

/**
 * Mercurius `errorFormatter`: maps every error through the table and picks the HTTP status of the first error's
 * code when no data came back (a partial result stays 200). Sets `Retry-After` when an error carries one.
 */
export function formatErrors (
  execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>,
  context: FormatterContext,
): { statusCode: number, response: FormattedExecutionResult } {
  const reply = context.reply
  const log = reply?.log ?? context.app?.log
  const requestId = reply?.request.id
  const errors = execution.errors.flatMap((e) => classify(e, requestId, log ?? silentLog))
  const data = execution.data ?? null
  const hasData = data !== null && Object.values(data).some((v) => v !== null)
  const first = errors[0]
  const statusCode = hasData || first === undefined ? 200 : GATEWAY_ERRORS[first.extensions.code].status
  // Retry-After belongs to the refusals (429, 403 lockout), not to the last wrong code that announces one.
  const retryAfter = errors.find((e) => e.extensions.retryAfterSeconds !== undefined && (e.extensions.code === 'RATE_LIMITED' || e.extensions.code === 'LOCKED_OUT'))?.extensions.retryAfterSeconds
  if (reply !== undefined && retryAfter !== undefined && !reply.sent) reply.header('retry-after', String(retryAfter))
  return { statusCode, response: { data, errors: errors as unknown as FormattedExecutionResult['errors'] } }
}

const silentLog = { info () {}, warn () {}, error () {} } as unknown as FastifyBaseLogger
