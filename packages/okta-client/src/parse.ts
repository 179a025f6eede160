// Checks that a 2xx body has the shape its operation promises, and tags results with their request id.
// A 2xx of the wrong shape is Okta (or something pretending to be Okta) misbehaving: InvalidResponseError.
import { InvalidResponseError } from './errors.js'
import { responseErrorId } from './response.js'
import type { ApiResponse } from './transport.js'
import type { OktaList } from './types.js'

type Obj = Record<string, unknown>

function isObject (v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Adds the non-enumerable `oktaRequestId` to a result. */
export function tag<T extends object> (value: T, requestId: string | undefined): T {
  Object.defineProperty(value, 'oktaRequestId', { value: requestId, enumerable: false, configurable: true, writable: false })
  return value
}

function fail (res: ApiResponse, what: string): never {
  throw new InvalidResponseError(`Okta answered HTTP ${res.status} with a body that is not ${what}`, { status: res.status, requestId: responseErrorId(res) })
}

/** Check of one item: true when it has the fields every consumer relies on. */
export type Shape = (v: Obj) => boolean

/**
 * Whether `v` can be an Okta id: Okta's are 20 letters and digits (`00u…`, `ost…`); up to 500 of the characters a
 * path segment carries as they are (letters, digits, `-`, `.`, `_`, `~`, as the emulator's seeded ids) are taken,
 * but not `.` or `..`. Anything else (empty, a path, kilobytes) would go into a path or a session as it is.
 */
function isOktaId (v: unknown): boolean {
  return typeof v === 'string' && OKTA_ID.test(v) && v !== '.' && v !== '..'
}

const OKTA_ID = /^[A-Za-z0-9._~-]{1,500}$/

/** A user: an `id`, and a `profile` object when present (field projections may omit the rest). */
export const userShape: Shape = (v) => isOktaId(v['id']) && (v['profile'] === undefined || isObject(v['profile']))
/** An enrolled factor: `id`, `factorType`, `status`. */
export const factorShape: Shape = (v) => isOktaId(v['id']) && typeof v['factorType'] === 'string' && typeof v['status'] === 'string'
/** A catalog entry: `factorType`, `provider`. */
export const catalogShape: Shape = (v) => typeof v['factorType'] === 'string' && typeof v['provider'] === 'string'
/** A security question: `question`. */
export const questionShape: Shape = (v) => typeof v['question'] === 'string'
/** An activation token (`activateUser` with `sendEmail: false`): `activationUrl`, `activationToken`. */
export const activationShape: Shape = (v) => typeof v['activationUrl'] === 'string' && typeof v['activationToken'] === 'string'
/** A verification result: `factorResult`. */
export const verifyShape: Shape = (v) => typeof v['factorResult'] === 'string'
/** A factor, or (push) the activation Okta answers until the phone has scanned the code: `factorResult` without an id. */
export const activationOrFactorShape: Shape = (v) => factorShape(v) || (v['id'] === undefined && typeof v['factorResult'] === 'string')

/** The body as one object of the given shape, tagged with the request id. */
export function one<T extends object> (res: ApiResponse, shape: Shape, what: string): T {
  if (!isObject(res.body) || !shape(res.body)) fail(res, what)
  return tag(res.body as T, res.requestId)
}

/** The body as an array whose every item has the given shape; the array and each item are tagged. */
export function many<T extends object> (res: ApiResponse, shape: Shape, what: string): OktaList<T> {
  if (!Array.isArray(res.body)) fail(res, `an array of ${what}`)
  for (const item of res.body as unknown[]) {
    if (!isObject(item) || !shape(item)) fail(res, `an array of ${what}`)
    tag(item, res.requestId)
  }
  return tag(res.body as OktaList<T>, res.requestId)
}
