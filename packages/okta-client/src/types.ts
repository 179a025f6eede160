/**
 * Typed shapes of what Okta's Users and Factors API returns. Every resource keeps unknown extra fields
 * (an index signature of `unknown`), so a field Okta adds tomorrow passes through untouched.
 *
 * @module
 */

/** A HAL link as Okta writes it in `_links`. */
export interface HalLink {
  href: string
  name?: string
  type?: string
  templated?: boolean
  hints?: { allow?: string[] }
  [extra: string]: unknown
}

/** `_links` of a resource: one link, or an array of named links (e.g. `resend`). */
export type HalLinks = Record<string, HalLink | HalLink[] | undefined>

/**
 * What every result object carries: the `X-Okta-Request-Id` of the response it came from, as a
 * non-enumerable property (absent from `JSON.stringify` and from deep equality checks).
 */
export interface OktaResource {
  /** `X-Okta-Request-Id` of the response, for support tickets and log correlation. Non-enumerable. */
  readonly oktaRequestId?: string | undefined
}

/** An array result that also carries the response's request id (non-enumerable). */
export type OktaList<T> = T[] & OktaResource

/** Lifecycle status of a user. */
export type UserStatus =
  | 'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'RECOVERY' | 'PASSWORD_EXPIRED'
  | 'LOCKED_OUT' | 'SUSPENDED' | 'DEPROVISIONED'

/** A user's profile: `login` and `email` always, any custom attribute besides. */
export interface OktaUserProfile {
  login: string
  email: string
  firstName?: string | null
  lastName?: string | null
  mobilePhone?: string | null
  secondEmail?: string | null
  displayName?: string | null
  [extra: string]: unknown
}

/** An Okta user (`GET /api/v1/users/{id}`). */
export interface OktaUser extends OktaResource {
  id: string
  status: UserStatus
  created?: string
  activated?: string | null
  statusChanged?: string | null
  lastLogin?: string | null
  lastUpdated?: string
  passwordChanged?: string | null
  transitioningToStatus?: 'ACTIVE' | 'DEPROVISIONED' | 'PROVISIONED' | null
  profile: OktaUserProfile
  credentials?: {
    password?: Record<string, unknown>
    recovery_question?: { question?: string }
    provider?: { type?: string, name?: string }
    [extra: string]: unknown
  }
  _links?: HalLinks
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/** Body of `createUser`. Omit `credentials` to create a user without a password (status `STAGED`/`PROVISIONED`). */
export interface CreateUserRequest {
  profile: {
    login: string
    email: string
    firstName?: string
    lastName?: string
    mobilePhone?: string
    [extra: string]: unknown
  }
  credentials?: {
    password?: { value?: string, hash?: Record<string, unknown>, hook?: { type: string } }
    recovery_question?: { question: string, answer: string }
    provider?: { type: string, name?: string }
    [extra: string]: unknown
  }
  groupIds?: string[]
  type?: { id: string }
  [extra: string]: unknown
}

/** Query of `createUser`. */
export interface CreateUserQuery {
  /** Activate the user at once. Okta's default is `true`. */
  activate?: boolean
  /** Create the user with an authentication provider instead of an Okta password. */
  provider?: boolean
  /** With `activate: true`, expire the password so the user must change it at first login. */
  nextLogin?: 'changePassword'
}

/** Query of `listUsers`. `limit` is the page size (Okta's default and max: 200). */
export interface ListUsersQuery {
  limit?: number
  after?: string
  search?: string
  filter?: string
  q?: string
  sortBy?: string
  sortOrder?: 'asc' | 'desc'
}

/** Factor types Okta knows. */
export type FactorType =
  | 'token:software:totp' | 'sms' | 'call' | 'email' | 'question' | 'push'
  | OtherFactorType

/** Factor types this client does not model in detail; they still parse, with a generic profile. */
export type OtherFactorType =
  | 'token' | 'token:hardware' | 'token:hotp' | 'u2f' | 'webauthn' | 'web' | 'signed_nonce'

/** Factor lifecycle status. */
export type FactorStatus =
  | 'PENDING_ACTIVATION' | 'ACTIVE' | 'INACTIVE' | 'NOT_SETUP' | 'ENROLLED' | 'DISABLED' | 'EXPIRED'

/** Factor providers. */
export type FactorProvider = 'OKTA' | 'GOOGLE' | 'RSA' | 'SYMANTEC' | 'YUBICO' | 'FIDO' | 'DUO' | 'CUSTOM'

/** Fields common to every enrolled factor. */
export interface UserFactorBase<T extends string, P> extends OktaResource {
  id: string
  factorType: T
  provider: FactorProvider | (string & {})
  vendorName?: string
  status: FactorStatus | (string & {})
  created?: string
  lastUpdated?: string
  profile?: P
  _links?: HalLinks
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/** `_embedded.activation` of a TOTP factor right after enrollment. */
export interface TotpActivationData {
  timeStep: number
  sharedSecret: string
  encoding: string
  keyLength: number
  _links?: { qrcode?: HalLink }
  [extra: string]: unknown
}

/** A TOTP factor (Okta Verify or Google Authenticator). */
export interface TotpFactor extends UserFactorBase<'token:software:totp', { credentialId?: string, [extra: string]: unknown }> {
  _embedded?: { activation?: TotpActivationData, [extra: string]: unknown }
}
/** An SMS factor. */
export type SmsFactor = UserFactorBase<'sms', { phoneNumber?: string, [extra: string]: unknown }>
/** A voice-call factor. */
export type CallFactor = UserFactorBase<'call', { phoneNumber?: string, phoneExtension?: string, [extra: string]: unknown }>
/** An email factor. */
export type EmailFactor = UserFactorBase<'email', { email?: string, [extra: string]: unknown }>
/** A security-question factor. */
export type QuestionFactor = UserFactorBase<'question', { question?: string, questionText?: string, [extra: string]: unknown }>
/** An Okta Verify push factor. */
export type PushFactor = UserFactorBase<'push', { credentialId?: string, deviceType?: string, name?: string, platform?: string, version?: string, [extra: string]: unknown }>
/** Any other factor type (hardware tokens, WebAuthn, ...). */
export type OtherFactor = UserFactorBase<OtherFactorType, Record<string, unknown>>

/** An enrolled factor: a union discriminated on `factorType`. */
export type UserFactor = TotpFactor | SmsFactor | CallFactor | EmailFactor | QuestionFactor | PushFactor | OtherFactor

/** An entry of the factor catalog (`GET /users/{id}/factors/catalog`). */
export interface CatalogFactor extends OktaResource {
  factorType: FactorType
  provider: FactorProvider | (string & {})
  vendorName?: string
  status?: string
  enrollment?: 'OPTIONAL' | 'REQUIRED' | (string & {})
  _links?: HalLinks
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/** A security question a user may pick (`GET /users/{id}/factors/questions`). */
export interface SecurityQuestion extends OktaResource {
  question: string
  questionText?: string
  [extra: string]: unknown
}

/** Body of `enrollFactor`, one shape per factor type. */
export type EnrollFactorRequest =
  | { factorType: 'token:software:totp', provider: 'GOOGLE' | 'OKTA' }
  | { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: string } }
  | { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: string, phoneExtension?: string } }
  | { factorType: 'email', provider: 'OKTA', profile: { email: string } }
  | { factorType: 'question', provider: 'OKTA', profile: { question: string, answer: string } }
  | { factorType: 'push', provider: 'OKTA' }

/** Query of `enrollFactor`. */
export interface EnrollFactorQuery {
  /** Replace the phone number of an existing sms/call enrollment. */
  updatePhone?: boolean
  /** Enroll and activate in one step (email, sms without a challenge where the org allows it). */
  activate?: boolean
  /** Lifetime of the activation code, seconds. */
  tokenLifetimeSeconds?: number
  /** Id of a custom SMS template. */
  templateId?: string
}

/** Query of `verifyFactor`. */
export interface VerifyFactorQuery {
  tokenLifetimeSeconds?: number
  templateId?: string
}

/** Body of `verifyFactor`: a passcode, a security answer, or nothing (sms/call/email challenge, push). */
export interface VerifyFactorBody {
  passCode?: string
  answer?: string
}

/** Body of `resendFactor` (Okta's `ResendUserFactor`). */
export interface ResendFactorBody {
  factorType?: 'sms' | 'call' | 'email'
  provider?: 'OKTA'
  profile?: Record<string, unknown>
  [extra: string]: unknown
}

/** Outcome of a verification. */
export type FactorResult =
  | 'SUCCESS' | 'CHALLENGE' | 'WAITING' | 'REJECTED' | 'TIMEOUT' | 'TIME_WINDOW_EXCEEDED'
  | 'PASSCODE_REPLAYED' | 'ERROR' | 'EXPIRED' | 'FAILED' | 'CANCELLED'

interface VerifyResultBase<R extends FactorResult> extends OktaResource {
  factorResult: R
  factorMessage?: string
  profile?: Record<string, unknown>
  _links?: HalLinks
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/** The passcode or answer was accepted (or the push approved). */
export type VerifySuccess = VerifyResultBase<'SUCCESS'>
/** A code was sent (sms, call, email); verify again with it. */
export type VerifyChallenge = VerifyResultBase<'CHALLENGE'>
/** A push is waiting for the user; poll `_links.poll` with `getFactorTransaction`. */
export interface VerifyWaiting extends VerifyResultBase<'WAITING'> {
  expiresAt?: string
  _embedded?: { challenge?: { correctAnswer?: number }, [extra: string]: unknown }
}
/** The verification ended without success. */
export type VerifyFailure = VerifyResultBase<Exclude<FactorResult, 'SUCCESS' | 'CHALLENGE' | 'WAITING'>>

/** Result of `verifyFactor` and `getFactorTransaction`: a union discriminated on `factorResult`. */
export type VerifyFactorResult = VerifySuccess | VerifyChallenge | VerifyWaiting | VerifyFailure
