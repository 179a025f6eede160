// Reading the passcode: from the parsed body only. A code in the query string would land in access
// logs, proxies and browser history, so it is never looked at.

/** The result of {@link readPasscode}. */
export type PasscodeResult =
  | { ok: true, passCode: string }
  | { ok: false, code: 'PASSCODE_MISSING' | 'PASSCODE_MALFORMED' }

/** A TOTP code as Okta issues them: exactly 6 digits. */
export const PASSCODE_PATTERN = /^[0-9]{6}$/

/** Reads an own field of the parsed body (`req.body`), `undefined` when there is no body or no such field. */
export function bodyField (req: { body?: unknown }, field: string): unknown {
  const body = req.body
  if (typeof body !== 'object' || body === null) return undefined
  return Object.hasOwn(body, field) ? (body as Record<string, unknown>)[field] : undefined
}

/**
 * Reads and checks the passcode in `req.body[field]`. Spaces are dropped ("123 456" as authenticator apps
 * show it); anything else than 6 digits is malformed, including arrays and objects from extended parsers.
 *
 * @example
 * readPasscode({ body: { passCode: '123 456' } }, 'passCode') // { ok: true, passCode: '123456' }
 */
export function readPasscode (req: { body?: unknown }, field: string): PasscodeResult {
  const raw = bodyField(req, field)
  if (raw === undefined || raw === null || raw === '') return { ok: false, code: 'PASSCODE_MISSING' }
  if (typeof raw !== 'string') return { ok: false, code: 'PASSCODE_MALFORMED' }
  const passCode = raw.replace(/ /g, '')
  if (passCode === '') return { ok: false, code: 'PASSCODE_MISSING' }
  return PASSCODE_PATTERN.test(passCode) ? { ok: true, passCode } : { ok: false, code: 'PASSCODE_MALFORMED' }
}
