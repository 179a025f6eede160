// The one table that says what each gateway error code means on the wire: its HTTP status, whether a client may retry,
// and the message the client sees. The MFA outcomes come from @okta-mfa/core; nothing else decides a status or a message.
import { MFA_OUTCOMES, isMfaError, outcomeOfError, type MfaOutcomeDetails, type MfaOutcomeSpec } from '@okta-mfa/core'

/**
 * Every `extensions.code` the gateway sends, with its HTTP status, whether retrying can help and its public message.
 *
 * The MFA outcomes are @okta-mfa/core's `MFA_OUTCOMES` (the same codes and statuses as passport-okta-mfa's);
 * the rest are the gateway's own: an internal error and the transport-level refusals (before any resolver runs; the
 * last three only from the standalone server, on a request Node's HTTP parser cut short or one that arrives while it
 * shuts down).
 *
 * @example
 * ```ts
 * import { GATEWAY_ERRORS } from '@okta-mfa/gateway'
 * GATEWAY_ERRORS.RATE_LIMITED.status // 429
 * ```
 */
export const GATEWAY_ERRORS = {
  ...MFA_OUTCOMES,
  INTERNAL: { status: 500, retryable: false, message: 'Internal error.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, retryable: false, message: 'The GraphQL document is not valid.' },
  BAD_REQUEST: { status: 400, retryable: false, message: 'The request is not valid.' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is too large.' },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false, message: 'Use POST with Content-Type: application/json.' },
  REQUEST_TIMEOUT: { status: 408, retryable: true, message: 'The request took too long to arrive.' },
  HEADERS_TOO_LARGE: { status: 431, retryable: false, message: 'The request headers are too large.' },
  SHUTTING_DOWN: { status: 503, retryable: true, message: 'The server is shutting down. Try again.' },
} as const satisfies Record<string, MfaOutcomeSpec>

/** One of the codes in {@link GATEWAY_ERRORS}. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS

/** Fields a {@link GatewayError} may add to `extensions`, beside `code` and `requestId`. */
export type GatewayErrorDetails = MfaOutcomeDetails

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
  /** Always `'GatewayError'`. */
  override name = 'GatewayError'
  /** The error's code, a key of {@link GATEWAY_ERRORS}: sent as `extensions.code`. */
  readonly code: GatewayErrorCode
  /** Public details sent in `extensions` beside the code (e.g. `field`, `retryAfterSeconds`). */
  readonly details: GatewayErrorDetails

  constructor (code: GatewayErrorCode, details: GatewayErrorDetails = {}, message?: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message ?? GATEWAY_ERRORS[code].message, options)
    this.code = code
    this.details = details
  }

  /** HTTP status of this error's code. */
  get status (): number {
    return GATEWAY_ERRORS[this.code].status
  }
}

/**
 * The body of a refusal made before any GraphQL runs (a method, a raw request Node's parser cut short): no data, one
 * error with its code and public message, and the request id when there is a request. Internal to the package.
 */
export function refusalBody (code: GatewayErrorCode, requestId?: string): { data: null, errors: [{ message: string, extensions: { code: GatewayErrorCode, requestId?: string } }] } {
  const extensions: { code: GatewayErrorCode, requestId?: string } = { code }
  if (requestId !== undefined) extensions.requestId = requestId
  return { data: null, errors: [{ message: GATEWAY_ERRORS[code].message, extensions }] }
}

/** Whether `value` is one of the gateway's codes. */
export function isGatewayErrorCode (value: unknown): value is GatewayErrorCode {
  return typeof value === 'string' && Object.hasOwn(GATEWAY_ERRORS, value)
}

/**
 * Translates an MFA outcome of @okta-mfa/core, an error from @okta-mfa/client (matched on `code`) or a store's
 * StoreUnavailableError into a {@link GatewayError}; `undefined` for anything else. Okta's texts never reach the
 * public message.
 */
export function fromClientError (err: unknown): GatewayError | undefined {
  const outcome = isMfaError(err) ? err : outcomeOfError(err)
  if (outcome === undefined) return undefined
  return new GatewayError(outcome.code, { ...outcome.details }, outcome.message, { cause: outcome.cause ?? err })
}
