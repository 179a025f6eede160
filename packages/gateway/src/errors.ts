// The one table that says what each gateway error code means on the wire: its HTTP status, whether a client may retry,
// and the message the client sees. Nothing else decides a status or a public message.

/**
 * Every `extensions.code` the gateway sends, with its HTTP status, whether retrying can help and its public message.
 *
 * The first twelve are the API's outcomes; the last four are transport-level refusals (before any resolver runs).
 *
 * @example
 * ```ts
 * import { GATEWAY_ERRORS } from '@okta-mfa/gateway'
 * GATEWAY_ERRORS.RATE_LIMITED.status // 429
 * ```
 */
export const GATEWAY_ERRORS = {
  INVALID_PASSCODE: { status: 401, retryable: true, message: 'The passcode is not valid.' },
  PASSCODE_REPLAYED: { status: 401, retryable: true, message: 'This passcode was already used. Wait for a new code.' },
  ALREADY_ENROLLED: { status: 409, retryable: false, message: 'A factor of this type is already enrolled.' },
  FACTOR_NOT_FOUND: { status: 404, retryable: false, message: 'No such factor for this user.' },
  RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests. Try again later.' },
  LOCKED_OUT: { status: 403, retryable: true, message: 'Too many failed attempts. Try again later.' },
  UNAUTHENTICATED: { status: 401, retryable: false, message: 'Sign in first.' },
  MFA_REQUIRED: { status: 401, retryable: false, message: 'A recent MFA step is required for this operation.' },
  BAD_USER_INPUT: { status: 400, retryable: false, message: 'The input is not valid.' },
  UPSTREAM_UNAVAILABLE: { status: 503, retryable: true, message: 'The identity provider is unavailable.' },
  UPSTREAM_TIMEOUT: { status: 504, retryable: true, message: 'The identity provider did not answer in time.' },
  INTERNAL: { status: 500, retryable: false, message: 'Internal error.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, retryable: false, message: 'The GraphQL document is not valid.' },
  BAD_REQUEST: { status: 400, retryable: false, message: 'The request is not valid.' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is too large.' },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false, message: 'Use POST with Content-Type: application/json.' },
} as const

/** One of the codes in {@link GATEWAY_ERRORS}. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS

/** Fields a {@link GatewayError} may add to `extensions`, beside `code` and `requestId`. */
export interface GatewayErrorDetails {
  /** Seconds after which a retry may succeed (RATE_LIMITED, LOCKED_OUT). */
  retryAfterSeconds?: number
  /** The input field at fault (BAD_USER_INPUT). */
  field?: string
  /** Passcode attempts left in the window (INVALID_PASSCODE, PASSCODE_REPLAYED); 0 means the next one is LOCKED_OUT. */
  attemptsRemaining?: number
}

/**
 * An error the gateway sends to the client as is: a code from {@link GATEWAY_ERRORS}, a public message and
 * public details. Anything else thrown inside a resolver is masked as INTERNAL.
 *
 * @example
 * ```ts
 * throw new GatewayError('BAD_USER_INPUT', { field: 'phoneNumber' }, 'phoneNumber must be in E.164 form.')
 * ```
 */
export class GatewayError extends Error {
  override name = 'GatewayError'
  readonly code: GatewayErrorCode
  readonly details: GatewayErrorDetails

  constructor (code: GatewayErrorCode, details: GatewayErrorDetails = {}, message?: string, options?: { cause?: unknown }) {
    super(message ?? GATEWAY_ERRORS[code].message, options)
    this.code = code
    this.details = details
  }

  /** HTTP status of this error's code. */
  get status (): number {
    return GATEWAY_ERRORS[this.code].status
  }
}

/** Whether `value` is one of the gateway's codes. */
export function isGatewayErrorCode (value: unknown): value is GatewayErrorCode {
  return typeof value === 'string' && Object.hasOwn(GATEWAY_ERRORS, value)
}

/**
 * The client's error codes (see @okta-mfa/client), mapped to the gateway's. `OKTA_API_ERROR` and `OKTA_VALIDATION`
 * need the error's fields as well and are decided in {@link fromClientError}.
 */
const CLIENT_CODES = {
  OKTA_INVALID_PASSCODE: 'INVALID_PASSCODE',
  OKTA_PASSCODE_REPLAYED: 'PASSCODE_REPLAYED',
  OKTA_USER_LOCKED: 'LOCKED_OUT',
  OKTA_RATE_LIMITED: 'RATE_LIMITED',
  OKTA_NOT_FOUND: 'FACTOR_NOT_FOUND',
  OKTA_TIMEOUT: 'UPSTREAM_TIMEOUT',
  OKTA_CONNECTION: 'UPSTREAM_UNAVAILABLE',
  OKTA_INVALID_RESPONSE: 'UPSTREAM_UNAVAILABLE',
} as const satisfies Record<string, GatewayErrorCode>

interface ClientErrorShape {
  code?: unknown
  status?: unknown
  errorCauses?: unknown
  retryAfterSeconds?: unknown
}

/** Okta's cause text when a factor type is enrolled twice. */
const ALREADY_SET_UP = /already (been )?set up/i

/**
 * Translates an error from @okta-mfa/client (matched on `code`) into a {@link GatewayError}, or returns
 * `undefined` when it is not a client error. Okta's texts never reach the public message.
 */
export function fromClientError (err: unknown): GatewayError | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as ClientErrorShape
  if (typeof e.code !== 'string' || !e.code.startsWith('OKTA_')) return undefined
  const options = { cause: err }
  if (Object.hasOwn(CLIENT_CODES, e.code)) {
    const code = CLIENT_CODES[e.code as keyof typeof CLIENT_CODES]
    const details: GatewayErrorDetails = {}
    if (code === 'RATE_LIMITED') details.retryAfterSeconds = positiveSeconds(e.retryAfterSeconds) ?? 60
    return new GatewayError(code, details, undefined, options)
  }
  if (e.code === 'OKTA_VALIDATION') {
    const causes = Array.isArray(e.errorCauses) ? e.errorCauses : []
    const already = causes.some((c: unknown) => ALREADY_SET_UP.test(String((c as { errorSummary?: unknown } | null)?.errorSummary ?? '')))
    return new GatewayError(already ? 'ALREADY_ENROLLED' : 'BAD_USER_INPUT', {}, already ? undefined : 'The identity provider rejected the input.', options)
  }
  if (e.code === 'OKTA_API_ERROR' && typeof e.status === 'number' && e.status >= 500) {
    return new GatewayError('UPSTREAM_UNAVAILABLE', {}, undefined, options)
  }
  return undefined
}

function positiveSeconds (value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined
}
