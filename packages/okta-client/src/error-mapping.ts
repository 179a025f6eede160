// Turns an Okta error response into the right error class: one place, one table.
import {
  AuthenticationError, InvalidPasscodeError, NotFoundError, OktaApiError, PasscodeReplayedError,
  RateLimitedError, UserLockedError, ValidationError,
} from './errors.js'
import type { OktaApiErrorDetails, OktaErrorCause, RateLimitDetails } from './errors.js'
import { redactSecrets } from './redact.js'

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

type ErrorFields = Omit<OktaApiErrorDetails, 'status' | 'requestId'>

function str (v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/**
 * The names a cause's fields may have: Okta's are words (`errorSummary`, `reason`, `locationType`, `location`,
 * `domain`). Any other key is text of the answer's, which may quote the request (a header, an answer) where no
 * redaction of values would look for it.
 */
const CAUSE_FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/**
 * A cause with its string fields only (Okta's are all strings: `errorSummary`, `reason`, `location`, …): a cause
 * nested thousands of levels deep would make the error's `toJSON()` overflow the stack of `JSON.stringify`.
 */
function stringFields (cause: Record<string, unknown>, errorSummary: string): OktaErrorCause {
  const out: OktaErrorCause = { errorSummary }
  for (const [key, value] of Object.entries(cause)) {
    if (typeof value === 'string' && CAUSE_FIELD.test(key) && key !== '__proto__') out[key] = value
  }
  return out
}

/** Reads Okta's error fields from a parsed body; undefined when the body is not an Okta error. */
export function oktaErrorFields (body: unknown): ErrorFields | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined
  const b = body as Record<string, unknown>
  const errorCode = str(b['errorCode'])
  if (errorCode === undefined) return undefined
  const causes: OktaErrorCause[] = Array.isArray(b['errorCauses'])
    ? (b['errorCauses'] as unknown[]).flatMap((c) => {
        const summary = c !== null && typeof c === 'object' ? str((c as Record<string, unknown>)['errorSummary']) : undefined
        return summary === undefined ? [] : [stringFields(c as Record<string, unknown>, summary)]
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

/** Okta's own error codes (`E0000068`): never cut, whatever a secret's digits. */
const OKTA_CODE = /^E\d{7}$/

/**
 * Okta's error text without the secrets the request carried (an answer may quote the request): the summary, the
 * causes and the error id. The error code is kept as it is when it has Okta's form (`E` and seven digits), which a
 * six-digit passcode could otherwise cut into.
 */
export function redactFields (fields: ErrorFields | undefined, secrets: readonly string[]): ErrorFields | undefined {
  if (fields === undefined || secrets.length === 0) return fields
  const cut = (text: string | undefined): string | undefined => text === undefined ? undefined : redactSecrets(text, secrets)
  return {
    errorCode: OKTA_CODE.test(fields.errorCode ?? '') ? fields.errorCode : cut(fields.errorCode),
    errorSummary: cut(fields.errorSummary),
    errorId: cut(fields.errorId),
    errorLink: OKTA_CODE.test(fields.errorLink ?? '') ? fields.errorLink : cut(fields.errorLink),
    errorCauses: (fields.errorCauses ?? []).map((c) => {
      const out: OktaErrorCause = { errorSummary: redactSecrets(c.errorSummary, secrets) }
      // A field named by a secret (a token is a word too) is dropped with its value.
      for (const [key, value] of Object.entries(c)) {
        if (key !== 'errorSummary' && typeof value === 'string' && redactSecrets(key, secrets) === key) out[key] = redactSecrets(value, secrets)
      }
      return out
    }),
  }
}

/** The error for an Okta error response (status >= 400). A 429 is always a RateLimitedError. */
export function mapOktaError (details: RateLimitDetails): OktaApiError {
  if (details.status === 429) return new RateLimitedError(details)
  // Own keys only: Okta's errorCode is Okta's text, and `toString` or `constructor` must not find Object's members.
  const byCode = details.errorCode !== undefined && Object.hasOwn(ERROR_CODE_CLASSES, details.errorCode) ? ERROR_CODE_CLASSES[details.errorCode] : undefined
  if (byCode === RateLimitedError) return new RateLimitedError(details)
  const Cls = byCode ?? (Object.hasOwn(STATUS_CLASSES, details.status) ? STATUS_CLASSES[details.status] : undefined) ?? OktaApiError
  return new Cls(details)
}
