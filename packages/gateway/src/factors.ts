// Translation between Okta's factor shapes and the gateway's GraphQL types, and the checks on enrollment input.
// Only fields a sign-in screen needs go out; secrets (answers, _links with tokens) never do.
import type { CatalogFactor, EnrollFactorRequest, UserFactor } from '@okta-mfa/client'
import { MAX_ANSWER_LENGTH, maskEmail, maskPhoneNumber, readAnswer } from '@okta-mfa/core'
import { GatewayError } from './errors.js'
import { InvalidOptionError } from './options.js'

// Loaded at the first TOTP enrollment: a gateway that only verifies never holds the QR encoder.
let qrcode: Promise<typeof import('qrcode')> | undefined

/** GraphQL `FactorType` values. */
export type GqlFactorType = 'TOTP' | 'SMS' | 'CALL' | 'EMAIL' | 'QUESTION' | 'PUSH' | 'OTHER'

const TO_GQL: Readonly<Record<string, GqlFactorType>> = {
  'token:software:totp': 'TOTP',
  sms: 'SMS',
  call: 'CALL',
  email: 'EMAIL',
  question: 'QUESTION',
  push: 'PUSH',
}

const STATUSES = new Set(['ACTIVE', 'DISABLED', 'ENROLLED', 'EXPIRED', 'INACTIVE', 'NOT_SETUP', 'PENDING_ACTIVATION'])

/** GraphQL `Factor`. */
export interface GqlFactor {
  /** Okta's factor id. */
  id: string
  /** The GraphQL kind of factor; `OTHER` for an Okta factor type this version does not know. */
  factorType: GqlFactorType
  /** Okta's own factor type string, e.g. `token:software:totp`. */
  oktaFactorType: string
  /** Okta's provider, e.g. `OKTA` or `GOOGLE` (`''` when Okta sent none). */
  provider: string
  /** Okta's vendor name, when it sent one. */
  vendorName: string | null
  /** Status as Okta reports it, one of the GraphQL `FactorStatus` values (an unknown status reads as `INACTIVE`). */
  status: string
  /** Phone number of an sms or call factor: masked before the session's MFA step and while the factor is not ACTIVE. */
  phoneNumber: string | null
  /** Address of an email factor: masked before the session's MFA step and while the factor is not ACTIVE. */
  email: string | null
  /** Question key of a security-question factor (never the answer). */
  question: string | null
  /** When the factor was created, ISO 8601. */
  created: string | null
  /** When the factor last changed, ISO 8601. */
  lastUpdated: string | null
}

function str (value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** Okta's factor type as a GraphQL `FactorType` (own keys only: `constructor` is a type Okta could name, not Object's). */
function gqlType (factorType: string): GqlFactorType {
  return Object.hasOwn(TO_GQL, factorType) ? TO_GQL[factorType]! : 'OTHER'
}

/**
 * An Okta factor as the GraphQL `Factor` type. With `masked` (before the session's MFA step), and for a factor that is
 * not ACTIVE yet (while enrolling), phone numbers and email addresses are masked as the demo's pages show them.
 */
export function toGqlFactor (factor: UserFactor, masked = false): GqlFactor {
  const profile = (factor.profile ?? {}) as Record<string, unknown>
  const status = String(factor.status)
  // Until it is ACTIVE (while enrolling), a factor's number or address is masked, as the pages show it.
  const hide = masked || status !== 'ACTIVE'
  return {
    id: factor.id,
    factorType: gqlType(factor.factorType),
    oktaFactorType: factor.factorType,
    provider: str(factor.provider) ?? '',
    vendorName: str(factor.vendorName),
    // An unknown status (a newer Okta) reads as INACTIVE rather than failing the whole list.
    status: STATUSES.has(status) ? status : 'INACTIVE',
    phoneNumber: typeof profile.phoneNumber === 'string' ? (hide ? maskPhoneNumber(profile.phoneNumber) : profile.phoneNumber) : null,
    email: typeof profile.email === 'string' ? (hide ? maskEmail(profile.email) : profile.email) : null,
    question: str(profile.question),
    created: str(factor.created),
    lastUpdated: str(factor.lastUpdated),
  }
}

/** Okta factor types and providers that `enrollFactor` enrolls (its `toEnrollRequest`). */
const ENROLLABLE: Readonly<Record<string, readonly string[]>> = {
  'token:software:totp': ['GOOGLE', 'OKTA'], sms: ['OKTA'], call: ['OKTA'], email: ['OKTA'], question: ['OKTA'],
}

/** Whether `enrollFactor` can enroll this catalog entry: the catalog offers only those (not a push, a security key). */
export function isEnrollable (entry: CatalogFactor): boolean {
  return Object.hasOwn(ENROLLABLE, entry.factorType) && ENROLLABLE[entry.factorType]!.includes(entry.provider)
}

/** An Okta catalog entry as the GraphQL `CatalogEntry` type. */
export function toGqlCatalogEntry (entry: CatalogFactor): Record<string, unknown> {
  const status = typeof entry.status === 'string' && STATUSES.has(entry.status) ? entry.status : null
  const enrollment = entry.enrollment === 'OPTIONAL' || entry.enrollment === 'REQUIRED' ? entry.enrollment : null
  return {
    factorType: gqlType(entry.factorType),
    oktaFactorType: entry.factorType,
    provider: entry.provider,
    vendorName: str(entry.vendorName),
    enrollment,
    status,
  }
}

/** GraphQL `EnrollFactorInput`. */
export interface EnrollFactorInput {
  /** The kind of factor to enroll: TOTP, SMS, CALL, EMAIL or QUESTION. */
  factorType: GqlFactorType
  /** TOTP only: who issues the factor. @default 'GOOGLE' */
  provider?: 'GOOGLE' | 'OKTA' | null
  /** SMS and CALL: the number in E.164 form, e.g. `+15555550123`. */
  phoneNumber?: string | null
  /** EMAIL: the address codes go to, the user's primary or secondary email in Okta (Okta refuses any other). */
  email?: string | null
  /** QUESTION: the security question key, e.g. `favorite_art_piece`. */
  question?: string | null
  /** QUESTION: the answer, 4 to `MAX_ANSWER_LENGTH` characters. */
  answer?: string | null
}

/** E.164: a plus, a non-zero digit, 7 to 15 digits in all. */
const E164 = /^\+[1-9][0-9]{6,14}$/
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,63}$/
const QUESTION_KEY = /^[a-z_]{1,64}$/
const FIELDS = ['provider', 'phoneNumber', 'email', 'question', 'answer'] as const

function badInput (field: string, message: string): GatewayError {
  return new GatewayError('BAD_USER_INPUT', { field }, message)
}

function onlyFields (input: EnrollFactorInput, allowed: ReadonlyArray<typeof FIELDS[number]>): void {
  for (const field of FIELDS) {
    const v = input[field]
    if (v !== undefined && v !== null && !allowed.includes(field)) {
      throw badInput(`input.${field}`, `input.${field} does not apply to ${input.factorType} factors.`)
    }
  }
}

/**
 * Checks enrollment input and builds Okta's request body.
 *
 * @throws GatewayError BAD_USER_INPUT naming the field at fault.
 */
export function toEnrollRequest (input: EnrollFactorInput): EnrollFactorRequest {
  switch (input.factorType) {
    case 'TOTP':
      onlyFields(input, ['provider'])
      return { factorType: 'token:software:totp', provider: input.provider ?? 'GOOGLE' }
    case 'SMS':
    case 'CALL': {
      onlyFields(input, ['phoneNumber'])
      const phoneNumber = input.phoneNumber ?? ''
      if (!E164.test(phoneNumber)) throw badInput('input.phoneNumber', 'input.phoneNumber must be an E.164 number such as +15555550123.')
      return input.factorType === 'SMS'
        ? { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } }
        : { factorType: 'call', provider: 'OKTA', profile: { phoneNumber } }
    }
    case 'EMAIL': {
      onlyFields(input, ['email'])
      const email = input.email ?? ''
      if (email.length > 254 || !EMAIL.test(email)) throw badInput('input.email', 'input.email must be an email address.')
      return { factorType: 'email', provider: 'OKTA', profile: { email } }
    }
    case 'QUESTION': {
      onlyFields(input, ['question', 'answer'])
      const question = input.question ?? ''
      const answer = input.answer ?? ''
      if (!QUESTION_KEY.test(question)) throw badInput('input.question', 'input.question must be a security question key such as favorite_art_piece.')
      // The bound verification holds answers to (core's readAnswer, in characters: an emoji counts once), and Okta's
      // 4-character minimum, counted the same way.
      if (/\p{Cs}/u.test(answer)) throw badInput('input.answer', 'input.answer must be text: it holds a lone UTF-16 surrogate.')
      if (!isAnswer(answer) || [...answer.trim()].length < 4) throw badInput('input.answer', `input.answer must be 4 to ${MAX_ANSWER_LENGTH} characters.`)
      return { factorType: 'question', provider: 'OKTA', profile: { question, answer } }
    }
    default:
      throw badInput('input.factorType', `${input.factorType} factors cannot be enrolled through the gateway.`)
  }
}

/** What the GraphQL `TotpActivation` type carries. */
export interface GqlTotpActivation {
  /** Base32 shared secret, for manual entry. */
  sharedSecret: string
  /** `otpauth://totp/...` URI carrying the secret, issuer and parameters. */
  otpauthUri: string
  /** Okta's link to a PNG of the QR code, when it sent one. */
  qrCodeHref: string | null
  /** The QR code of `otpauthUri` as a `data:image/png;base64` URI a page can show directly. */
  qrCodeDataUri: string
  /** Seconds per code. */
  timeStep: number
  /** Digits per code (always 6: the length of the passcodes checked). */
  keyLength: number
}

/**
 * The `otpauth://totp/Issuer:label?secret=…` URI authenticator apps read (Key URI Format), SHA-1 as Okta uses.
 * `digits` must be a whole number from 6 to 10 and `period` one of seconds from 1 to 3600 (Okta sends 6 and 30): an
 * {@link InvalidOptionError} (code `OKTA_MFA_GATEWAY_INVALID_OPTION`) otherwise, since no authenticator app could use the code
 * it would describe.
 *
 * @example
 * otpauthUri({ issuer: 'dev-1.okta.com', label: 'ada@example.com', secret: 'JBSWY3DPEHPK3PXP', digits: 6, period: 30 })
 */
export function otpauthUri (p: {
  /** Who issues the code, shown by the app (e.g. the Okta org's host); the URI's prefix and `issuer`. */
  issuer: string
  /** The account, shown by the app (e.g. the user's login). */
  label: string
  /** The TOTP shared secret, base32 (a secret). */
  secret: string
  /** Digits per code: a whole number from 6 to 10. */
  digits: number
  /** Seconds per code: a whole number from 1 to 3600. */
  period: number
}): string {
  if (!Number.isInteger(p.digits) || p.digits < 6 || p.digits > 10) throw new InvalidOptionError('digits must be a whole number from 6 to 10')
  if (!Number.isInteger(p.period) || p.period < 1 || p.period > 3600) throw new InvalidOptionError('period must be a whole number of seconds from 1 to 3600')
  const issuer = encodeURIComponent(wellFormed(p.issuer))
  const query = `secret=${encodeURIComponent(wellFormed(p.secret))}&issuer=${issuer}&algorithm=SHA1&digits=${p.digits}&period=${p.period}`
  return `otpauth://totp/${issuer}:${encodeURIComponent(wellFormed(p.label))}?${query}`
}

/** A lone surrogate (which `encodeURIComponent` throws on, and a login may hold) as U+FFFD. */
function wellFormed (text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}

/** Whether core's readAnswer takes `answer` (the check a verification makes). */
function isAnswer (answer: string): boolean {
  try {
    readAnswer(answer)
    return true
  } catch {
    return false
  }
}

/** Modules of quiet zone around the QR code. */
const QR_MARGIN = 2

/** The activation of a freshly enrolled TOTP factor, with its QR code rendered here as a PNG data URI. */
export async function totpActivationOf (
  activation: { sharedSecret: string, timeStep: number, keyLength: number, qrCodeHref?: string | undefined },
  issuer: string,
  label: string,
): Promise<GqlTotpActivation> {
  qrcode ??= import('qrcode').then((m) => m.default)
  const qr = await qrcode
  let uri: string
  let symbol: ReturnType<typeof qr.create>
  try {
    // Okta's codes are 6 digits (keyLength 6), and so are the passcodes activateFactor and verifyFactor take: an app
    // showing codes of another length could never activate the factor.
    // eslint-disable-next-line no-restricted-syntax -- caught below and kept as the cause of the coded UPSTREAM_UNAVAILABLE
    if (activation.keyLength !== 6) throw new RangeError('keyLength must be 6, the length of the passcodes checked')
    uri = otpauthUri({ issuer, label, secret: activation.sharedSecret, digits: activation.keyLength, period: activation.timeStep })
    symbol = qr.create(uri, { errorCorrectionLevel: 'M' })
  } catch (err) {
    // An activation no authenticator app can use (a keyLength other than 6, a timeStep out of range), or more than a QR code holds
    // (about 2,300 bytes, an outsized shared secret): only an Okta answer gets there.
    throw new GatewayError('UPSTREAM_UNAVAILABLE', {}, undefined, { cause: err })
  }
  // 256 px, or more for a long URI (a long issuer or login): at least 4 px per module, which cameras read.
  const modules = symbol.modules.size + 2 * QR_MARGIN
  const qrCodeDataUri = await qr.toDataURL(uri, { errorCorrectionLevel: 'M', margin: QR_MARGIN, width: Math.max(256, modules * 4), type: 'image/png' })
  return {
    sharedSecret: activation.sharedSecret,
    otpauthUri: uri,
    qrCodeHref: activation.qrCodeHref ?? null,
    qrCodeDataUri,
    timeStep: activation.timeStep,
    keyLength: activation.keyLength,
  }
}
