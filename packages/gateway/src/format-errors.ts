// The one place where anything thrown while serving a GraphQL request becomes what the client sees: a code from
// the table, a public message, the request id, and an HTTP status that follows the code. Everything unknown is masked.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { GraphQLError, Kind, type ASTNode, type ExecutionResult, type FormattedExecutionResult } from 'graphql'
import { drainRefusedBody } from './drain.js'
import { BODY_MESSAGE } from './body-check.js'
import { GATEWAY_ERRORS, GatewayError, fromClientError, type GatewayErrorCode } from './errors.js'
import { REQUEST_ID_HEADER } from './logging.js'

/** One error as sent to the client. */
export interface PublicError {
  /** The public message (never a secret, never graphql-js's "Did you mean" suggestions). */
  message: string
  /** Where in the query document the error is, as graphql-js reports it. */
  locations?: ReadonlyArray<{
    /** Line, from 1. */
    line: number
    /** Column, from 1. */
    column: number
  }> | undefined
  /** The response path of the field that failed. */
  path?: ReadonlyArray<string | number> | undefined
  /** The error's `code` from {@link GATEWAY_ERRORS}, the request id, and the code's public details. */
  extensions: {
    /** The error's code, a key of {@link GATEWAY_ERRORS}. */
    code: GatewayErrorCode
    /** The request's id, as in its log lines. */
    requestId?: string | undefined
    /** Seconds until another try can succeed (LOCKED_OUT, RATE_LIMITED, the last wrong code of a window). */
    retryAfterSeconds?: number | undefined
    /** The input field at fault (BAD_USER_INPUT, PASSCODE_MISSING, PASSCODE_MALFORMED, FACTOR_NOT_FOUND). */
    field?: string | undefined
    /** Passcode attempts left in the window (INVALID_PASSCODE, PASSCODE_REPLAYED); 0: the next one is LOCKED_OUT. */
    attemptsRemaining?: number | undefined
  }
}

/**
 * Removes graphql-js "Did you mean …?" suggestions from a message: they leak the schema to a caller who may not
 * introspect it. Found with `indexOf`, not a regular expression: `/\s*Did you mean/` tries every whitespace of a run
 * the client wrote into a string, which took time in the square of its length.
 */
export function stripSuggestions (message: string): string {
  const at = message.indexOf('Did you mean ')
  return at === -1 ? message : message.slice(0, at).trimEnd()
}

interface FastifyLikeError { code?: unknown, statusCode?: unknown, validationContext?: unknown, errors?: unknown }

/** Fastify's own refusals of a body or a content type, by code. */
const TRANSPORT: Readonly<Record<string, GatewayErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  MER_ERR_METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
}

/**
 * graphql-js's messages for a variable's VALUE (coercion, `getVariableValues`): a value of the wrong type, a required
 * variable not provided, null for a non-null one. Every other `Variable "$…"` message is a rule of the document
 * (undefined, unused, duplicated, non-input type, wrong position): GRAPHQL_VALIDATION_FAILED.
 */
const VARIABLE_VALUE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" (?:got invalid value .*?(?: at "([_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*|\[[0-9]+\]){0,32})")?; |of required type "[^"]+" was not provided\.$|of non-null type "[^"]+" must not be null\.$)/s
/** A GraphQL name (graphql-js names fields and types in its reasons; nothing else of the client's gets through). */
const NAME = '[_A-Za-z][_0-9A-Za-z]{0,127}'
/** A type as graphql-js prints it in a reason (`String!`, `[ID!]`). */
const TYPE = '[_0-9A-Za-z!\\[\\]]{1,128}'
/**
 * graphql-js's reasons for a variable's value that carry no value, anchored at the end of the message, with the place
 * in the variable (` at "input.answer"`) before them. Anchored at the end, a value that itself contains "; " or a
 * reason's words cannot move where the reason starts: the alternatives match nothing but names and types.
 */
const PLAIN_REASON = new RegExp(`(?: at "${NAME}(?:\\.${NAME}|\\[[0-9]{1,9}\\]){0,32}")?; (Field "${NAME}" is not defined by type "${NAME}"\\.|` +
  `Field "${NAME}" of required type "${TYPE}" was not provided\\.|Expected type "${NAME}" to be an object\\.|` +
  `Expected non-nullable type "${TYPE}" not to be null\\.|Expected type "${NAME}"\\.)$`)
/** A built-in scalar's or an enum's reason, which ends with the value: only its words before the value are kept. */
const SCALAR_REASON = new RegExp(`; ((?:String|Int|Float|Boolean|ID) cannot represent [a-z0-9 -]{0,40}?value|Enum "${NAME}" cannot represent [a-z -]{0,40}?value): `)
/** The end of an enum's refusal of a string that is none of its values (`Value "<value>" does not exist in "E" enum.`). */
const ENUM_REASON_END = new RegExp(`" does not exist in ("${NAME}") enum\\.$`)

/**
 * A variable error without the value the client sent, which may be a passcode, an answer or a phone number:
 * graphql-js writes it after "got invalid value" (and again at the end of a scalar's reason). The message is rebuilt
 * from the variable's name and graphql-js's reason; a reason it does not know is left out.
 */
function withoutValues (text: string): string {
  const head = /^(Variable "\$[_A-Za-z][_0-9A-Za-z]*") got invalid value /.exec(text)
  if (head === null) return text
  const plain = PLAIN_REASON.exec(text)
  if (plain !== null) return `${head[1]!} got an invalid value; ${plain[1]!}`
  const scalar = SCALAR_REASON.exec(text)
  if (scalar !== null) return `${head[1]!} got an invalid value; ${scalar[1]!}.`
  const enumEnd = text.includes('; Value "') ? ENUM_REASON_END.exec(text) : null
  if (enumEnd !== null) return `${head[1]!} got an invalid value; Value does not exist in ${enumEnd[1]!} enum.`
  return `${head[1]!} got an invalid value.`
}

/**
 * A document's refusal of a literal without the literal, which may be a passcode, an answer or a phone number written
 * into the document itself: graphql-js's "Expected value of type "T", found <literal>…", an enum's "Value "<literal>"
 * does not exist in "E" enum." and a scalar's or enum's "…cannot represent … value: <literal>".
 */
function withoutLiteral (text: string): string {
  return text
    .replace(/^(Expected value of type "[^"]{1,128}"), found [\s\S]*$/, '$1.')
    .replace(/^Value "[\s\S]*" does not exist in ("[_A-Za-z][_0-9A-Za-z]{0,127}") enum\.$/, 'Value does not exist in $1 enum.')
    .replace(/(cannot represent [^:;]{0,48}?value)s?: [\s\S]*$/, '$1.')
    .replace(TOKEN_WITH_VALUE, '$1.')
    .replace(LEXER_QUOTE, '$1.')
}

/**
 * A lexer error quoting the text it stopped at, inside a string literal or a number (`Invalid Unicode escape sequence:
 * "\u{918273}".`, `Invalid number, expected digit but got: "x".`): the kind of error stays, the text goes.
 */
const LEXER_QUOTE = /^(Syntax Error: (?:Invalid [^:"]{1,64}|Unexpected character|Cannot parse the unexpected character)):? "[\s\S]*$/

/**
 * A syntax error's token with its text (`Expected ":", found String "918273".`, `Unexpected Int "918273".`): the kind
 * of token stays, its text goes.
 */
const TOKEN_WITH_VALUE = /^(Syntax Error: [^"]{0,64}(?:"[^"]{1,16}"[^"]{0,32})?(?:found|Unexpected) (?:Name|Int|Float|String|BlockString|Comment)) "[\s\S]*$/

/** graphql-js stops coercing variables after 50 errors with this message. */
const TOO_MANY_VARIABLE_ERRORS = /^Too many errors processing variables/

/** A graphql-js error of the document or of its variables (no resolver ran): its code, and for a variable the field. */
function fromGraphqlMessage (message: string, requestId: string | undefined, where: Where): PublicError {
  const text = stripSuggestions(message)
  const variable = VARIABLE_VALUE.exec(text)
  if (variable === null && !TOO_MANY_VARIABLE_ERRORS.test(text)) return pub('GRAPHQL_VALIDATION_FAILED', withoutLiteral(text), requestId, where)
  const out = pub('BAD_USER_INPUT', withoutValues(text), requestId, where)
  // The variable's name without "$", or the place in it ("input.factorType") graphql-js names.
  const [, name, at] = variable ?? []
  const inside = name !== undefined && at !== undefined && (at === name || at.startsWith(`${name}.`) || at.startsWith(`${name}[`))
  out.extensions.field = inside ? at : name ?? 'variables'
  return out
}

/** The argument a mutation's input is in when nothing more precise is known. */
const MAIN_ARGUMENT: Readonly<Record<string, string>> = {
  enrollFactor: 'input', activateFactor: 'passCode', verifyFactor: 'passCode', resendChallenge: 'factorId', removeFactor: 'factorId',
}
const INPUT_FIELDS = new Set(['factorType', 'provider', 'phoneNumber', 'email', 'question', 'answer'])

/** The field Okta's validation error names first (`"phoneNumber: Invalid Phone Number."` → `phoneNumber`), if any. */
function oktaCauseField (cause: unknown): string | undefined {
  const causes = (cause as { errorCauses?: unknown } | undefined)?.errorCauses
  const summary = Array.isArray(causes) ? (causes[0] as { errorSummary?: unknown } | undefined)?.errorSummary : undefined
  return typeof summary === 'string' ? /^([A-Za-z]{1,32}):/.exec(summary)?.[1] : undefined
}

/**
 * The `field` of a BAD_USER_INPUT that came without one (the identity provider rejected the input): the argument of
 * the operation Okta's cause names when it is one (only names from the schema, never Okta's text), else the
 * operation's main argument (`passCode`, or `answer` when only an answer was given), else the field that failed.
 */
function argumentAtFault (node: ASTNode | undefined, cause: unknown): string {
  if (node?.kind !== Kind.FIELD) return 'input'
  const name = node.name.value
  const args = new Set((node.arguments ?? []).map((a) => a.name.value))
  const named = oktaCauseField(cause)
  // A verify's secret is named even when the document left it out: it is the one the factor takes.
  if (named !== undefined && (args.has(named) || (name === 'verifyFactor' && (named === 'answer' || named === 'passCode')))) return named
  if (named !== undefined && args.has('input') && INPUT_FIELDS.has(named)) return `input.${named}`
  if (name === 'verifyFactor' && args.has('answer') && !args.has('passCode')) return 'answer'
  return MAIN_ARGUMENT[name] ?? name
}

/**
 * Classifies one error (thrown by a resolver, by mercurius, or by Fastify before the handler) into public errors.
 * Validation failures carry their nested errors, which become one public error each.
 */
function classify (gqlError: GraphQLError, requestId: string | undefined, log: FastifyBaseLogger): PublicError[] {
  const original = gqlError.originalError as (Error & FastifyLikeError) | undefined
  const where = { locations: gqlError.locations, path: gqlError.path }

  if (original === undefined) {
    // A GraphQLError of graphql-js itself: syntax, validation or variables (mercurius wraps those when the body has
    // variables; without them execute() reports a missing one) or execution.
    if (gqlError.path !== undefined) return [internal(gqlError, requestId, log, where)]
    return [fromGraphqlMessage(gqlError.message, requestId, where)]
  }
  const node = gqlError.nodes?.[0]
  if (original instanceof GatewayError) return [fromGatewayError(original, requestId, where, log, node)]

  const client = fromClientError(original)
  if (client !== undefined) return [fromGatewayError(client, requestId, where, log, node)]

  const code = typeof original.code === 'string' ? original.code : undefined
  if (code === 'MER_ERR_GQL_VALIDATION' && Array.isArray(original.errors)) {
    return (original.errors as Array<Error & FastifyLikeError & Partial<GraphQLError>>).map((nested) => {
      if (nested.validationContext !== undefined) return pub('BAD_REQUEST', publicMessageOf(nested) ?? BODY_MESSAGE, requestId, {})
      return fromGraphqlMessage(String(nested.message), requestId, { locations: nested.locations, path: undefined })
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

function fromGatewayError (err: GatewayError, requestId: string | undefined, where: Where, log: FastifyBaseLogger, node: ASTNode | undefined): PublicError {
  const cause = err.cause as { code?: unknown, status?: unknown, errorCode?: unknown, requestId?: unknown, reason?: unknown } | undefined
  const upstream = cause === undefined
    ? undefined
    : { code: cause.code, status: cause.status, errorCode: cause.errorCode, oktaRequestId: cause.requestId, reason: cause.reason }
  const level = err.code.startsWith('UPSTREAM_') || err.code === 'STORE_UNAVAILABLE' ? 'warn' : 'info'
  log[level]({ code: err.code, upstream }, 'graphql error')
  const out = pub(err.code, err.message, requestId, where)
  if (err.details.retryAfterSeconds !== undefined) out.extensions.retryAfterSeconds = err.details.retryAfterSeconds
  if (err.details.field !== undefined) out.extensions.field = err.details.field
  else if (err.code === 'BAD_USER_INPUT') out.extensions.field = argumentAtFault(node, err.cause)
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
): {
  /** The HTTP status: the first error's code's, or 200 when some data came back. */
  statusCode: number
  /** The body: the data and the errors as {@link PublicError}s. */
  response: FormattedExecutionResult
} {
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

/**
 * Whether a route error is the app's, not the gateway's: an error with its own HTTP status that none of Fastify,
 * Mercurius, the Okta client or the gateway made (an app-wide hook's rate limit, IP block or maintenance answer).
 */
function isAppError (error: Error & FastifyLikeError): boolean {
  if (error instanceof GraphQLError || error instanceof GatewayError || fromClientError(error) !== undefined) return false
  // Fastify's body and content-type refusals, Mercurius's, the client's and the gateway's own codes; any other code
  // (a plugin of the app may name its errors FST_ERR_… too) with a status is the app's.
  if (typeof error.code === 'string' && /^(FST_ERR_CTP_|FST_ERR_VALIDATION|MER_|OKTA_)/.test(error.code)) return false
  return typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
}

/**
 * Mercurius `errorHandler` of the gateway's routes: what fails before GraphQL runs (the body, CSRF, Mercurius's own
 * checks) is answered through {@link formatErrors}, with the table's codes. An error of the app's own hooks with its
 * own status goes on to the app's error handler, as it would on the app's other routes.
 */
export async function handleRouteError (error: Error & FastifyLikeError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (isAppError(error)) {
    // The app's answer, with the two headers every answer on the GraphQL path carries: an app-wide hook that threw
    // ran before the gateway's onRequest could set them.
    reply.header(REQUEST_ID_HEADER, request.id).header('cache-control', 'no-store')
    throw error
  }
  // A body refused unread (413): its rest is drained so that a client still writing it reads this answer.
  drainRefusedBody(request, reply)
  const gqlError = error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error })
  const { statusCode, response } = formatErrors({ errors: [gqlError] }, { reply })
  // Set again: an app's hook that ran before the gateway's (and threw) kept the gateway's onRequest from setting them.
  await reply.code(statusCode).header(REQUEST_ID_HEADER, request.id).header('cache-control', 'no-store').send(response)
}

/** The message the body check made public (body-check.ts), if the error is one of its refusals. */
function publicMessageOf (err: object): string | undefined {
  const message = (err as { publicMessage?: unknown }).publicMessage
  return typeof message === 'string' ? message : undefined
}
