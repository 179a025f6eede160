// Small things the app keeps in the encrypted session cookie besides passport's user and the MFA state:
// a one-time notice for the next page (flash), where to go after sign-in (returnTo, passport's key), and the ids of
// the code forms already sent (so a form sent again is not checked twice).
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { dropCachedFactors, getMfaState, isSafeReturnTo, userKeyOf } from 'passport-okta-mfa'

declare module '@fastify/secure-session' {
  interface SessionData {
    /** The CSRF token (csrf.ts). */
    csrf: string
    /** A one-time notice for the next page. */
    notice: Flash
    /** When another code may be sent to each factor (factor id, ms since the epoch), after "Send a code"; newest last. */
    resendAt: Array<[factorId: string, at: number]>
    /** The ids of the code forms sent, newest last. */
    sentCodeForms: string[]
    /** The factors of this session's MFA steps, with the user they were for (session.ts noteMfaStep). */
    usedFactors: { userKey: string, used: Array<[factorId: string, at: number]> }
  }
}

/** A notice shown once, on the next page. */
export interface Flash {
  kind: 'success' | 'error' | 'info'
  text: string
}

/** Not 'flash': @fastify/flash (a dependency of @fastify/passport) types that key for itself. */
const FLASH_KEY = 'notice'
/** The key passport-okta-mfa's guard and @fastify/passport use for "where the user was going". */
export const RETURN_TO_KEY = 'returnTo'

/** Leaves a notice for the next page. */
export function setFlash (request: FastifyRequest, kind: Flash['kind'], text: string): void {
  request.session.set(FLASH_KEY, { kind, text })
}

/**
 * A form refused with nothing to wait for: back to `to` (303), the sentence shown there once as an error, and its code in
 * x-error-code for scripts and monitors.
 */
export async function refuseTo (request: FastifyRequest, reply: FastifyReply, to: string, text: string, code?: string): Promise<void> {
  if (code !== undefined) reply.header('x-error-code', code)
  setFlash(request, 'error', text)
  await reply.redirect(to, 303)
}

/** Takes (and forgets) the pending notice. */
export function takeFlash (request: FastifyRequest): Flash | undefined {
  const raw: unknown = request.session.get(FLASH_KEY)
  if (raw === undefined) return undefined
  request.session.set(FLASH_KEY, undefined)
  const f = raw as Partial<Flash> | null
  if (f === null || typeof f.text !== 'string' || (f.kind !== 'success' && f.kind !== 'error' && f.kind !== 'info')) return undefined
  return { kind: f.kind, text: f.text }
}

/**
 * A path on this site, by passport-okta-mfa's shared strict check (no `//host`, `/\host`, `/<TAB>/host`, control
 * characters or percent-encoded forms of those: an open redirect, or a header Node refuses).
 */
export function isLocalPath (value: unknown): value is string {
  return isSafeReturnTo(value)
}

/**
 * Whether `path` is a page of signing in or out (`/login`, `/logout`, `/mfa`), however it is written
 * (`/logout/`, `/%6Cogout`, `/./logout`): never where to go after signing in. Sent there, a person just signed in
 * would be signed out again (a link from another site could do it), or shown the form they just filled in.
 */
function isSignInPage (path: string): boolean {
  const p = routedPath(path)
  return p === undefined || p === '/login' || p === '/logout' || p === '/mfa'
}

/** The path a request for `path` is routed to (decoded, dot-segments resolved, no trailing slash); undefined if malformed. */
function routedPath (path: string): string | undefined {
  try { return decodeURIComponent(new URL(path, 'http://demo.invalid').pathname).replace(/\/+$/, '') } catch { return undefined }
}

/** Whether `path` is the setup of a factor (`/mfa/enroll` and its steps), however it is written. */
export function isSetupPage (path: string): boolean {
  const p = routedPath(path)
  return p !== undefined && (p === '/mfa/enroll' || p.startsWith('/mfa/enroll/'))
}

/**
 * Longest return path the session keeps (characters). The whole session is one cookie, which a browser drops when its
 * name and value pass 4096 bytes: with every other part at its largest (16 cached factors, 8 sent code forms, the
 * factors used, 4 resend times, a notice, the MFA step), a return path of this length still leaves room. A longer one is dropped, and
 * the person lands on the default page after sign-in, as with any refused return path.
 */
export const MAX_KEPT_RETURN_TO = 512

/** A return path the session may keep: a local path, short enough for the cookie. */
function isKeptReturnTo (value: unknown): value is string {
  return isLocalPath(value) && value.length <= MAX_KEPT_RETURN_TO
}

/** Remembers where a signed-out visitor was going (a page of this site other than signing in or out). */
export function rememberReturnTo (request: FastifyRequest, path: string): void {
  if (isKeptReturnTo(path) && !isSignInPage(path)) request.session.set(RETURN_TO_KEY, path)
}

/** Takes (and forgets) where to go next, when it is a local path. */
export function takeReturnTo (request: FastifyRequest): string | undefined {
  const value: unknown = request.session.get(RETURN_TO_KEY)
  if (value === undefined) return undefined
  request.session.set(RETURN_TO_KEY, undefined)
  return isKeptReturnTo(value) ? value : undefined
}

/**
 * The most bytes of session JSON the cookie takes. Encrypted (16 bytes more), in base64 (4/3) with its "+" and "/"
 * escaped in the cookie (3 bytes each, about one character in 32) and its nonce, 2600 bytes make about 3800: a
 * browser ignores a cookie whose name and value pass 4096 bytes, and keeps the old one.
 */
export const SESSION_JSON_BUDGET = 2600

/**
 * Keeps the session within its cookie, as each response leaves (before the session is written): a return path the
 * session may not keep is dropped, whoever wrote it (passport-okta-mfa's guard keeps up to 2048 characters); over
 * {@link SESSION_JSON_BUDGET}, the factor list the strategy and the gateway cache (up to 16 factors; only a cache:
 * the next code lists them again) is dropped, then the return path.
 */
export function fitSessionCookie (request: Pick<FastifyRequest, 'session'>): void {
  const value: unknown = request.session.get(RETURN_TO_KEY)
  if (value !== undefined && !isKeptReturnTo(value)) request.session.set(RETURN_TO_KEY, undefined)
  if (sessionBytes(request) <= SESSION_JSON_BUDGET) return
  dropCachedFactors(request)
  if (sessionBytes(request) > SESSION_JSON_BUDGET) request.session.set(RETURN_TO_KEY, undefined)
}

/** The size of the session as JSON, in bytes. */
function sessionBytes (request: Pick<FastifyRequest, 'session'>): number {
  return Buffer.byteLength(JSON.stringify(request.session.data() ?? {}))
}

/** Reads a string field of a urlencoded or JSON body. */
export function field (request: FastifyRequest, name: string): string | undefined {
  const body = request.body as Record<string, unknown> | null | undefined
  const value = body?.[name]
  return typeof value === 'string' ? value : undefined
}

/** How many factors' resend times are remembered (a person has at most a few factors that send codes). */
const RESEND_KEPT = 4

/** The session's resend times, well-formed entries only (an older session held one number for all factors). */
function resendTimes (request: FastifyRequest): Array<[string, number]> {
  const kept: unknown = request.session.get('resendAt')
  if (!Array.isArray(kept)) return []
  return kept.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && Number.isFinite(e[1]))
}

/**
 * Remembers when another code may be sent to factor `factorId` (after "Send a code", or Okta's "too soon"). Okta's
 * wait between two codes is the factor's own: a code sent by text message does not hold back one sent by e-mail.
 */
export function setResendAt (request: FastifyRequest, factorId: string, atMs: number): void {
  const others = resendTimes(request).filter(([id]) => id !== factorId)
  request.session.set('resendAt', [...others.slice(-(RESEND_KEPT - 1)), [factorId, atMs]])
}

/** Seconds before another code may be sent to factor `factorId`; undefined when it may be sent now. */
export function resendInSeconds (request: FastifyRequest, factorId: string, nowMs: number): number | undefined {
  return resendWaits(request, nowMs).get(factorId)
}

/** The seconds before another code may be sent, by factor id, for the factors that have to wait. */
export function resendWaits (request: FastifyRequest, nowMs: number): ReadonlyMap<string, number> {
  const waits = new Map<string, number>()
  for (const [id, at] of resendTimes(request)) if (at > nowMs) waits.set(id, Math.ceil((at - nowMs) / 1000))
  return waits
}

/** The session key of the ids of the code forms sent (newest last). */
const SENT_FORMS_KEY = 'sentCodeForms'
/** How many sent code forms are remembered. */
const SENT_FORMS_KEPT = 8

/** A new id for a code form about to be shown: when it was shown, and a random part. Nothing is stored. */
export function newCodeFormId (now: number): string {
  return `${Math.floor(now).toString(36)}.${randomBytes(9).toString('base64url')}`
}

/**
 * How a post of a code form stands: `fresh` to check (a form not sent before, or a post without an id, a script's);
 * a form sent before is not checked again: `after-step` when an MFA step was completed since it was shown (Back and
 * "resend" after the step), else `resent` (a reload of the answer to a wrong code). A fresh form is remembered as
 * sent, so the session changes on the post only, never on showing the form.
 */
export function codeFormState (request: FastifyRequest, mfaCompletedAt: number | undefined): 'fresh' | 'resent' | 'after-step' {
  const id = field(request, 'formId')
  const match = id === undefined ? null : /^([0-9a-z]{1,11})\.[A-Za-z0-9_-]{12}$/.exec(id)
  if (id === undefined || match === null) return 'fresh'
  const shownAt = parseInt(match[1]!, 36)
  const stored = request.session.get(SENT_FORMS_KEY)
  const ids = Array.isArray(stored) ? stored : []
  // Only a form sent before is not checked: a form never sent is, whatever happened in other tabs since it was shown.
  if (ids.includes(id)) return mfaCompletedAt !== undefined && mfaCompletedAt >= shownAt ? 'after-step' : 'resent'
  request.session.set(SENT_FORMS_KEY, [...ids.slice(-(SENT_FORMS_KEPT - 1)), id])
  return 'fresh'
}

/** Forgets that the code form of this post was sent: its code was not checked (Okta or the store could not answer). */
export function forgetSentCodeForm (request: FastifyRequest): void {
  const id = field(request, 'formId')
  const stored = request.session.get(SENT_FORMS_KEY)
  if (id !== undefined && Array.isArray(stored) && stored.includes(id)) request.session.set(SENT_FORMS_KEY, stored.filter((other) => other !== id))
}

/** The session key of the factors used in this session's MFA steps. */
const USED_FACTORS_KEY = 'usedFactors'
/** How many factors' last use a session remembers. */
const USED_FACTORS_KEPT = 8

/**
 * Notes the factor of the session's current MFA step (called as each response leaves): the MFA state keeps the latest
 * step only, so without this the factor used at sign-in would lose its "last used" line once another factor is
 * activated in the same session. The session changes only when a step is new.
 */
export function noteMfaStep (request: FastifyRequest): void {
  const state = getMfaState(request)
  if (state === undefined) return
  const kept = usedFactorsOf(request.session.get(USED_FACTORS_KEY), state.userKey)
  const known = kept.find(([id]) => id === state.factorId)
  if (known !== undefined && known[1] >= state.completedAt) return
  const used = [...kept.filter(([id]) => id !== state.factorId).slice(-(USED_FACTORS_KEPT - 1)), [state.factorId, state.completedAt] as [string, number]]
  request.session.set(USED_FACTORS_KEY, { userKey: state.userKey, used })
}

/** The factors the signed-in user verified in this session, each with its latest use (ms), the current step included. */
export function usedFactors (request: FastifyRequest): Array<{ factorId: string, at: number }> {
  const user = request.user ?? undefined
  if (user === undefined) return []
  const used = usedFactorsOf(request.session.get(USED_FACTORS_KEY), userKeyOf(user))
  const state = getMfaState(request)
  if (state !== undefined && !used.some(([id, at]) => id === state.factorId && at >= state.completedAt)) {
    used.splice(0, used.length, ...used.filter(([id]) => id !== state.factorId), [state.factorId, state.completedAt])
  }
  return used.map(([factorId, at]) => ({ factorId, at }))
}

/** The stored list when it is well formed and for `userKey`, else empty. */
function usedFactorsOf (raw: unknown, userKey: string): Array<[string, number]> {
  const v = raw as { userKey?: unknown, used?: unknown } | null | undefined
  if (v === null || typeof v !== 'object' || v.userKey !== userKey || !Array.isArray(v.used)) return []
  return v.used.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && Number.isFinite(e[1]))
}
