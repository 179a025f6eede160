// Turns an Okta error response into the right error class: one place, one table.
import {
  AuthenticationError, InvalidPasscodeError, NotFoundError, OktaApiError, PasscodeReplayedError,
  RateLimitedError, UserLockedError, ValidationError,
} from './errors.js'
import type { OktaApiErrorDetails, OktaErrorCause, RateLimitDetails } from './errors.js'

type ApiErrorClass = new (details: OktaApiErrorDetails) => OktaApiError

/** Okta error codes with a class of their own. Anything else falls back on the HTTP status. */
export const ERROR_CODE_CLASSES: Readonly<Record<string, ApiErrorClass>> = Object.freeze({
  E0000068: InvalidPasscodeError,
  E0000082: PasscodeReplayedError,
  E0000069: UserLockedError,
  E0000047: RateLimitedError,
  E0000109: RateLimitedError,
  E0000118: RateLimitedError,
  E0000133: RateLimitedError,
  E0000007: NotFoundError,
  E0000001: ValidationError,
  E0000003: ValidationError,
  E0000005: AuthenticationError,
  E0000006: AuthenticationError,
  E0000011: AuthenticationError,
})

const STATUS_CLASSES: Readonly<Record<number, ApiErrorClass>> = Object.freeze({
  400: ValidationError,
  401: AuthenticationError,
  404: NotFoundError,
})

function str (v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** Reads Okta's error fields from a parsed body; undefined when the body is not an Okta error. */
export function oktaErrorFields (body: unknown): Omit<OktaApiErrorDetails, 'status' | 'requestId'> | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined
  const b = body as Record<string, unknown>
  const errorCode = str(b['errorCode'])
  if (errorCode === undefined) return undefined
  const causes: OktaErrorCause[] = Array.isArray(b['errorCauses'])
    ? (b['errorCauses'] as unknown[]).flatMap((c) => {
        const summary = c !== null && typeof c === 'object' ? str((c as Record<string, unknown>)['errorSummary']) : undefined
        return summary === undefined ? [] : [{ ...(c as Record<string, unknown>), errorSummary: summary }]
      })
    : []
  return {
    errorCode,
    errorSummary: str(b['errorSummary']),
    errorId: str(b['errorId']),
    errorLink: str(b['errorLink']),
    errorCauses: causes,
  }
}

/** The error for an Okta error response (status >= 400). A 429 is always a RateLimitedError. */
export function mapOktaError (details: RateLimitDetails): OktaApiError {
  if (details.status === 429) return new RateLimitedError(details)
  const byCode = details.errorCode === undefined ? undefined : ERROR_CODE_CLASSES[details.errorCode]
  if (byCode === RateLimitedError) return new RateLimitedError(details)
  const Cls = byCode ?? STATUS_CLASSES[details.status] ?? OktaApiError
  return new Cls(details)
}
