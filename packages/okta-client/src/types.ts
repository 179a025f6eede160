/**
 * Typed shapes of what Okta's Users and Factors API returns. Every resource keeps unknown extra fields
 * (an index signature of `unknown`), so a field Okta adds tomorrow passes through untouched.
 *
 * @module
 */

/**
 * A HAL link as Okta writes it in `_links`.
 *
 * @example
 * ```ts
 * const href = (factor._links?.['verify'] as HalLink | undefined)?.href
 * ```
 */
export interface HalLink {
  /** The link's URL. */
  href: string
  /** The link's name, among several of one relation (e.g. the `resend` links of an sms factor). */
  name?: string
  /** Media type of the target, e.g. `image/png` for a QR code. */
  type?: string
  /** Whether `href` is a URI template. */
  templated?: boolean
  /** What the target allows, e.g. `{ allow: ['POST'] }`. */
  hints?: {
    /** The HTTP methods the target accepts, e.g. `['POST']`. */
    allow?: string[]
  }
  [extra: string]: unknown
}

/**
 * `_links` of a resource: one link, or an array of named links (e.g. `resend`).
 *
 * @example
 * ```ts
 * const resend = factor._links?.['resend'] // HalLink[] for sms
 * ```
 */
export type HalLinks = Record<string, HalLink | HalLink[] | undefined>

/**
 * What every result object carries: the `X-Okta-Request-Id` of the response it came from, as a
 * non-enumerable property (absent from `JSON.stringify` and from deep equality checks).
 *
 * @example
 * ```ts
 * const user = await client.getUser(id)
 * logger.info({ oktaRequestId: user.oktaRequestId }, 'user fetched')
 * ```
 */
export interface OktaResource {
  /** `X-Okta-Request-Id` of the response, for support tickets and log correlation. Non-enumerable. */
  readonly oktaRequestId?: string | undefined
}

/**
 * An array result that also carries the response's request id (non-enumerable).
 *
 * @example
 * ```ts
 * const list: OktaList<UserFactor> = await client.listFactors(uid); log(list.oktaRequestId)
 * ```
 */
export type OktaList<T> = T[] & OktaResource

/**
 * Lifecycle status of a user.
 *
 * @example
 * ```ts
 * if (user.status === 'LOCKED_OUT') await client.unlockUser(user.id)
 * ```
 */
export type UserStatus =
  | 'STAGED' | 'PROVISIONED' | 'ACTIVE' | 'RECOVERY' | 'PASSWORD_EXPIRED'
  | 'LOCKED_OUT' | 'SUSPENDED' | 'DEPROVISIONED'

/**
 * A user's profile: `login` and `email` always, any custom attribute besides.
 *
 * @example
 * ```ts
 * console.log(user.profile.login, user.profile['department'])
 * ```
 */
export interface OktaUserProfile {
  /** The user's unique sign-in name (often an email address). */
  login: string
  /** The user's primary email address. */
  email: string
  /** Given name. */
  firstName?: string | null
  /** Family name. */
  lastName?: string | null
  /** Mobile phone number. */
  mobilePhone?: string | null
  /** Secondary email address. */
  secondEmail?: string | null
  /** Name to show for the user. */
  displayName?: string | null
  [extra: string]: unknown
}

/**
 * An Okta user (`GET /api/v1/users/{id}`).
 *
 * @example
 * ```ts
 * const user: OktaUser = await client.getUser('isaac.brock@example.com')
 * ```
 */
export interface OktaUser extends OktaResource {
  /** Okta's user id, e.g. `00ub0oNGTSWTBKOLGLNR`. */
  id: string
  /** Lifecycle status. */
  status: UserStatus
  /** When the user was created (ISO 8601). */
  created?: string
  /** When the user was activated (ISO 8601), or `null`. */
  activated?: string | null
  /** When `status` last changed (ISO 8601). */
  statusChanged?: string | null
  /** When the user last signed in (ISO 8601), or `null`. */
  lastLogin?: string | null
  /** When the user was last changed (ISO 8601). */
  lastUpdated?: string
  /** When the password last changed (ISO 8601), or `null`. */
  passwordChanged?: string | null
  /** The status the user is moving to while a change is in progress; `null` otherwise. */
  transitioningToStatus?: 'ACTIVE' | 'DEPROVISIONED' | 'PROVISIONED' | null
  /** The user's user type (Okta's default type unless the org has others). */
  type?: {
    /** The user type's id. */
    id: string
    [extra: string]: unknown
  }
  /** The realm the user belongs to. */
  realmId?: string
  /** The user's profile attributes. */
  profile: OktaUserProfile
  /** The user's credentials as Okta shows them (never a password's value). */
  credentials?: {
    /** Present (empty: Okta never sends the value) when the user has a password. */
    password?: Record<string, unknown>
    /** The user's recovery question, when set (never its answer). */
    recovery_question?: {
      /** The question's text. */
      question?: string
    }
    /** The user's email addresses, in some answers (a list's, for a user who has been activated). */
    emails?: Array<{
      /** The email address. */
      value?: string
      /** Whether it is verified: `VERIFIED` or `UNVERIFIED`. */
      status?: string
      /** `PRIMARY` or `SECONDARY`. */
      type?: string
    }>
    /** Who authenticates the user's password. */
    provider?: {
      /** The provider's kind, e.g. `OKTA`, `ACTIVE_DIRECTORY`, `LDAP`, `FEDERATION`, `SOCIAL`, `IMPORT`. */
      type?: string
      /** The provider's name, e.g. `OKTA` or a directory's name. */
      name?: string
    }
    [extra: string]: unknown
  }
  /** Links to what can be done with the user (HAL). */
  _links?: HalLinks
  /** Embedded resources, when asked for. */
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/**
 * What `activateUser(id, { sendEmail: false })` answers: Okta sends no activation email, so the app sends the link
 * itself. Both are secrets: whoever holds them can set up the account. With `sendEmail` true (Okta's default) Okta
 * emails the user and answers nothing.
 *
 * @example
 * ```ts
 * const { activationUrl } = await client.activateUser(user.id, { sendEmail: false })
 * ```
 */
export interface UserActivationToken extends OktaResource {
  /** The link for the user to set up their account (`https://{yourOktaDomain}/tokens/{activationToken}/verify`). */
  activationUrl: string
  /** The one-time token in that link, for a link of your own (or a sign-in with Okta's Authentication API). */
  activationToken: string
}

/**
 * Body of `createUser`. Omit `credentials` to create a user without a password (status `STAGED`/`PROVISIONED`).
 *
 * @example
 * ```ts
 * const body: CreateUserRequest = { profile: { login: 'a@example.com', email: 'a@example.com' } }
 * ```
 */
export interface CreateUserRequest {
  /** The new user's profile: `login` and `email` are required. */
  profile: {
    /** The user's unique sign-in name (often an email address). */
    login: string
    /** The user's primary email address. */
    email: string
    /** Given name. */
    firstName?: string | null
    /** Family name. */
    lastName?: string | null
    /** Mobile phone number. */
    mobilePhone?: string | null
    [extra: string]: unknown
  }
  /** A password, recovery question or authentication provider for the new user; none creates one without credentials. */
  credentials?: {
    /** The user's password: its `value`, an imported `hash`, or a password import `hook`. */
    password?: {
      /** The password itself (a secret: sent to Okta, never answered back). */
      value?: string
      /** A password hash imported from another system (Okta's hashed password object: `algorithm`, `value`, ...). */
      hash?: Record<string, unknown>
      /** A password import inline hook that checks the password at the user's first sign-in. */
      hook?: {
        /** The hook's type (Okta: `default`). */
        type: string
      }
    }
    /** The user's recovery question and its answer. */
    recovery_question?: {
      /** The question's text. */
      question: string
      /** The answer (a secret). */
      answer: string
    }
    /** Who authenticates the user's password. */
    provider?: {
      /** The provider's kind, e.g. `OKTA`, `ACTIVE_DIRECTORY`, `LDAP`, `FEDERATION`, `SOCIAL`, `IMPORT`. */
      type: string
      /** The provider's name. */
      name?: string
    }
    [extra: string]: unknown
  }
  /** Ids of the groups to add the user to. */
  groupIds?: string[]
  /** The user type to create the user with (Okta's default type when absent). */
  type?: {
    /** The user type's id. */
    id: string
  }
  [extra: string]: unknown
}

/**
 * Body of `updateUser` (Okta's partial update): the profile properties to change; `null` removes an optional one.
 *
 * @example
 * ```ts
 * const body: UpdateUserRequest = { profile: { login: 'ada.l@example.com', email: 'ada.l@example.com' } }
 * ```
 */
export interface UpdateUserRequest {
  /** Only what changes: the others keep their values. */
  profile: Partial<OktaUserProfile>
}

/**
 * Query of `createUser`.
 *
 * @example
 * ```ts
 * await client.createUser(body, { activate: false }) // STAGED
 * ```
 */
export interface CreateUserQuery {
  /** Activate the user at once. Okta's default is `true`. */
  activate?: boolean
  /** Create the user with an authentication provider instead of an Okta password. */
  provider?: boolean
  /** With `activate: true`, expire the password so the user must change it at first login. */
  nextLogin?: 'changePassword'
}

/**
 * Query of `listUsers`. `limit` is the page size (Okta's default and max: 200).
 *
 * @example
 * ```ts
 * client.listUsers({ filter: 'status eq "LOCKED_OUT"', limit: 50 })
 * ```
 */
export interface ListUsersQuery {
  /** Page size. Okta's default and max: 200. */
  limit?: number
  /** The cursor of the next page (from the `next` link of the previous one). */
  after?: string
  /** A SCIM search expression, e.g. `profile.department eq "Engineering"`. */
  search?: string
  /** A filter expression, e.g. `status eq "LOCKED_OUT"`. */
  filter?: string
  /** Find users whose first name, last name or email starts with this. */
  q?: string
  /** The attribute to sort by (with `search`). */
  sortBy?: string
  /** Sort direction (with `sortBy`). */
  sortOrder?: 'asc' | 'desc'
}

/**
 * Factor types Okta knows.
 *
 * @example
 * ```ts
 * const type: FactorType = 'token:software:totp'
 * ```
 */
export type FactorType =
  | 'token:software:totp' | 'sms' | 'call' | 'email' | 'question' | 'push'
  | OtherFactorType

/**
 * Factor types this client does not model in detail; they still parse, with a generic profile.
 *
 * @example
 * ```ts
 * const hw: OtherFactorType = 'token:hardware'
 * ```
 */
export type OtherFactorType =
  | 'token' | 'token:hardware' | 'token:hotp' | 'u2f' | 'webauthn' | 'web' | 'signed_nonce'

/**
 * Factor lifecycle status.
 *
 * @example
 * ```ts
 * const ready = factors.filter((f) => f.status === 'ACTIVE')
 * ```
 */
export type FactorStatus =
  | 'PENDING_ACTIVATION' | 'ACTIVE' | 'INACTIVE' | 'NOT_SETUP' | 'ENROLLED' | 'DISABLED' | 'EXPIRED'

/**
 * Factor providers.
 *
 * @example
 * ```ts
 * const provider: FactorProvider = 'GOOGLE'
 * ```
 */
export type FactorProvider = 'OKTA' | 'GOOGLE' | 'RSA' | 'SYMANTEC' | 'YUBICO' | 'FIDO' | 'DUO' | 'CUSTOM'

/**
 * Fields common to every enrolled factor.
 *
 * @example
 * ```ts
 * type Mine = UserFactorBase<'token:hotp', { credentialId?: string }>
 * ```
 */
export interface UserFactorBase<T extends string, P> extends OktaResource {
  /** Okta's factor id. */
  id: string
  /** The factor type. */
  factorType: T
  /** Who provides the factor, e.g. `OKTA` or `GOOGLE`. */
  provider: FactorProvider | (string & {})
  /** The vendor's name, e.g. `OKTA` or `GOOGLE`. */
  vendorName?: string
  /** Lifecycle status. */
  status: FactorStatus | (string & {})
  /** When the factor was enrolled (ISO 8601). */
  created?: string
  /** When the factor last changed (ISO 8601). */
  lastUpdated?: string
  /** The factor's profile (a phone number, an email address, a question key, ...). */
  profile?: P
  /** Links to what can be done with the factor (`verify`, `activate`, `resend`, ...). */
  _links?: HalLinks
  /** Embedded resources (e.g. `activation` right after enrollment). */
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/**
 * `_embedded.activation` of a TOTP factor right after enrollment.
 *
 * @example
 * ```ts
 * const secret = (factor as TotpFactor)._embedded?.activation?.sharedSecret
 * ```
 */
export interface TotpActivationData {
  /** Seconds per code (Okta: 30). */
  timeStep: number
  /** The shared secret, for manual entry in an authenticator app. */
  sharedSecret: string
  /** Encoding of `sharedSecret` (Okta: `base32`). */
  encoding: string
  /** Digits per code (Okta: 6). */
  keyLength: number
  /** The `qrcode` link: a PNG of the QR code to scan. */
  _links?: {
    /** A PNG of the QR code to scan. */
    qrcode?: HalLink
  }
  [extra: string]: unknown
}

/**
 * A TOTP factor (Okta Verify or Google Authenticator).
 *
 * @example
 * ```ts
 * if (factor.factorType === 'token:software:totp') console.log(factor._embedded?.activation?.sharedSecret)
 * ```
 */
export interface TotpFactor extends UserFactorBase<'token:software:totp', {
  /** The user the factor's credential belongs to (their login). */
  credentialId?: string
  [extra: string]: unknown
}> {
  /** `activation`: what an authenticator app needs, right after enrollment. */
  _embedded?: {
    /** The shared secret and the QR code, right after enrollment. */
    activation?: TotpActivationData
    [extra: string]: unknown
  }
}
/**
 * An SMS factor.
 *
 * @example
 * ```ts
 * if (factor.factorType === 'sms') console.log(factor.profile?.phoneNumber)
 * ```
 */
export type SmsFactor = UserFactorBase<'sms', {
  /** The phone number codes are sent to. */
  phoneNumber?: string
  [extra: string]: unknown
}>
/**
 * A voice-call factor.
 *
 * @example
 * ```ts
 * if (factor.factorType === 'call') console.log(factor.profile?.phoneNumber)
 * ```
 */
export type CallFactor = UserFactorBase<'call', {
  /** The phone number Okta calls. */
  phoneNumber?: string
  /** The extension to dial after the number, or `null`. */
  phoneExtension?: string | null
  [extra: string]: unknown
}>
/**
 * An email factor.
 *
 * @example
 * ```ts
 * if (factor.factorType === 'email') console.log(factor.profile?.email)
 * ```
 */
export type EmailFactor = UserFactorBase<'email', {
  /** The email address codes are sent to. */
  email?: string
  [extra: string]: unknown
}>
/**
 * A security-question factor.
 *
 * @example
 * ```ts
 * if (factor.factorType === 'question') console.log(factor.profile?.questionText)
 * ```
 */
export type QuestionFactor = UserFactorBase<'question', {
  /** The question's key, e.g. `disliked_food` (see `listSecurityQuestions`). */
  question?: string
  /** The question's text, e.g. "What is the food you least liked as a child?". */
  questionText?: string
  [extra: string]: unknown
}>
/**
 * An Okta Verify push factor.
 *
 * @example
 * ```ts
 * if (factor.factorType === 'push') console.log(factor.profile?.name)
 * ```
 */
export interface PushFactor extends UserFactorBase<'push', {
  /** The user the factor's credential belongs to (their login). */
  credentialId?: string
  /** The device's push notification token. */
  deviceToken?: string
  /** The kind of device, e.g. `SmartPhone_IPhone`. */
  deviceType?: string
  /** The device's name, e.g. "Jane's iPhone". */
  name?: string
  /** The device's platform, e.g. `IOS` or `ANDROID`. */
  platform?: string
  /** The version of the device's operating system. */
  version?: string
  [extra: string]: unknown
}> {
  /** `activation`: the QR code and links of an activation waiting for Okta Verify. */
  _embedded?: {
    /** The QR code and links of the activation, while it waits for Okta Verify. */
    activation?: PushActivationData
    [extra: string]: unknown
  }
}

/**
 * `_embedded.activation` of a push factor while it waits for Okta Verify: the QR code to scan and the links that
 * send the activation link by email or sms instead.
 *
 * @example
 * ```ts
 * if (factor.factorType === 'push') showQrCode(factor._embedded?.activation?._links?.qrcode?.href)
 * ```
 */
export interface PushActivationData {
  /** When the activation ends (ISO 8601). */
  expiresAt?: string
  /** The activation's state: `WAITING` while it can be scanned, `TIMEOUT` once expired. */
  factorResult?: FactorResult
  /** `qrcode` to scan, `send` to send the activation link by email or sms instead. */
  _links?: {
    /** A PNG of the QR code to scan with Okta Verify. */
    qrcode?: HalLink
    /** One link per channel (`email`, `sms`) that sends the activation link instead. */
    send?: HalLink[]
    [extra: string]: HalLink | HalLink[] | undefined
  }
  [extra: string]: unknown
}
/**
 * What Okta may answer a push factor's activation, or its poll, until Okta Verify has scanned the QR code: not the
 * factor but the activation itself (Okta's Factors reference). `WAITING` (with `expiresAt`, the `qrcode`, `send` and
 * `poll` links) while it can still be scanned, `TIMEOUT` (with the `activate` link that starts a new one) once it
 * expired. The answer may also be the factor, still `PENDING_ACTIVATION`, whose `_embedded.activation` says the same
 * (the OpenAPI examples, and the emulator); once scanned it is the factor, `ACTIVE`. Tell them apart by `factorType`,
 * which only a factor has.
 *
 * @example
 * ```ts
 * const r = await client.pollFactorActivation(user.id, push.id)
 * const state = r.factorType === undefined ? r.factorResult : r.status === 'ACTIVE' ? 'ACTIVE' : r._embedded?.activation?.factorResult
 * if (state === 'WAITING') setTimeout(poll, 4000)
 * ```
 */
export interface PushFactorActivation {
  /** Never set: only a factor has a `factorType` (`result.factorType === undefined` narrows to this type). */
  factorType?: undefined
  /** `WAITING` while the QR code can be scanned, `TIMEOUT` once it expired. */
  factorResult: FactorResult
  /** When the activation ends (ISO 8601), while `WAITING`. */
  expiresAt?: string
  /** `poll` and `qrcode` (with `send`) while `WAITING`; `activate`, which starts a new activation, after `TIMEOUT`. */
  _links?: {
    /** Polls the activation (`pollFactorActivation`), while `WAITING`. */
    poll?: HalLink
    /** A PNG of the QR code to scan with Okta Verify, while `WAITING`. */
    qrcode?: HalLink
    /** One link per channel (`email`, `sms`) that sends the activation link instead, while `WAITING`. */
    send?: HalLink[]
    /** Starts a new activation, after `TIMEOUT`. */
    activate?: HalLink
    [extra: string]: HalLink | HalLink[] | undefined
  }
  [extra: string]: unknown
}
/**
 * Any other factor type (hardware tokens, WebAuthn, ...).
 *
 * @example
 * ```ts
 * if (factor.factorType === 'webauthn') console.log(factor.profile)
 * ```
 */
export type OtherFactor = UserFactorBase<OtherFactorType, Record<string, unknown>>

/**
 * An enrolled factor: a union discriminated on `factorType`.
 *
 * @example
 * ```ts
 * const totp = (await client.listFactors(uid)).find((f) => f.factorType === 'token:software:totp' && f.status === 'ACTIVE')
 * ```
 */
export type UserFactor = TotpFactor | SmsFactor | CallFactor | EmailFactor | QuestionFactor | PushFactor | OtherFactor

/**
 * An entry of the factor catalog (`GET /users/{id}/factors/catalog`).
 *
 * @example
 * ```ts
 * const offered = (await client.listFactorCatalog(uid)).map((f) => `${f.factorType}/${f.provider}`)
 * ```
 */
export interface CatalogFactor extends OktaResource {
  /** The factor type on offer. */
  factorType: FactorType
  /** Who provides it, e.g. `OKTA` or `GOOGLE`. */
  provider: FactorProvider | (string & {})
  /** The vendor's name. */
  vendorName?: string
  /** The user's status for this factor type, e.g. `NOT_SETUP`. */
  status?: string
  /** Whether the org's enrollment policy requires it. */
  enrollment?: 'OPTIONAL' | 'REQUIRED' | (string & {})
  /** Links, e.g. `enroll` to enroll this factor type. */
  _links?: HalLinks
  /** Embedded resources, e.g. sms `phones` already known. */
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/**
 * A security question a user may pick (`GET /users/{id}/factors/questions`).
 *
 * @example
 * ```ts
 * const choices = (await client.listSecurityQuestions(uid)).map((q) => q.questionText)
 * ```
 */
export interface SecurityQuestion extends OktaResource {
  /** The question key to enroll with, e.g. `favorite_art_piece`. */
  question: string
  /** The question as shown to the user. */
  questionText?: string
  [extra: string]: unknown
}

/**
 * Body of `enrollFactor`, one shape per factor type.
 *
 * @example
 * ```ts
 * const body: EnrollFactorRequest = { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1337' } }
 * ```
 */
export type EnrollFactorRequest =
  | {
    /** The type of factor to enroll. */
    factorType: 'token:software:totp'
    /** Who provides it: Google Authenticator or Okta Verify for TOTP, Okta for the others. */
    provider: 'GOOGLE' | 'OKTA'
  }
  | {
    factorType: 'sms'
    provider: 'OKTA'
    /** What the factor needs: the phone number (sms, call), the email address, or the security question and answer. */
    profile: {
      /** The phone number to send codes to. */
      phoneNumber: string
    }
  }
  | {
    factorType: 'call'
    provider: 'OKTA'
    profile: {
      /** The phone number Okta calls. */
      phoneNumber: string
      /** The extension to dial after the number. */
      phoneExtension?: string
    }
  }
  | {
    factorType: 'email'
    provider: 'OKTA'
    profile: {
      /** The email address to send codes to. */
      email: string
    }
  }
  | {
    factorType: 'question'
    provider: 'OKTA'
    profile: {
      /** The question's key, e.g. `disliked_food` (see `listSecurityQuestions`). */
      question: string
      /** The answer (a secret). */
      answer: string
    }
  }
  | { factorType: 'push', provider: 'OKTA' }

/**
 * Query of `enrollFactor`.
 *
 * @example
 * ```ts
 * await client.enrollFactor(uid, body, { updatePhone: true })
 * ```
 */
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

/**
 * Query of `verifyFactor`.
 *
 * @example
 * ```ts
 * await client.verifyFactor(uid, smsId, undefined, { tokenLifetimeSeconds: 300 })
 * ```
 */
export interface VerifyFactorQuery {
  /** Lifetime of the code sent (sms, call, email), seconds. */
  tokenLifetimeSeconds?: number
  /** Id of a custom SMS template. */
  templateId?: string
}

/**
 * Body of `verifyFactor`: a passcode, a security answer, or nothing (sms/call/email challenge, push).
 * `useNumberMatchingChallenge: true` starts a number matching push (the answer's
 * `_embedded.challenge.correctAnswer` is the number the user must pick in Okta Verify).
 *
 * @example
 * ```ts
 * await client.verifyFactor(uid, questionId, { answer: 'mayonnaise' })
 * ```
 */
export interface VerifyFactorBody {
  /** The code from the authenticator app, sms, call or email. */
  passCode?: string
  /** The answer of a security-question factor. */
  answer?: string
  /** Start a number matching push (Okta Verify). */
  useNumberMatchingChallenge?: boolean
}

/**
 * Body of `resendFactor` (Okta's `ResendUserFactor`).
 *
 * @example
 * ```ts
 * await client.resendFactor(uid, smsId, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
 * ```
 */
export interface ResendFactorBody {
  /** The factor's type. */
  factorType?: 'sms' | 'call' | 'email'
  /** The factor's provider. */
  provider?: 'OKTA'
  /** The factor's profile, e.g. `{ phoneNumber }`. */
  profile?: Record<string, unknown>
  [extra: string]: unknown
}

/**
 * Outcome of a verification. `CANCELED` is how Okta's schema spells it; `CANCELLED` is kept for code written to the
 * older spelling.
 *
 * @example
 * ```ts
 * const done: FactorResult = 'SUCCESS'
 * ```
 */
export type FactorResult =
  | 'SUCCESS' | 'CHALLENGE' | 'WAITING' | 'REJECTED' | 'TIMEOUT' | 'TIME_WINDOW_EXCEEDED'
  | 'PASSCODE_REPLAYED' | 'ERROR' | 'EXPIRED' | 'FAILED' | 'CANCELED' | 'CANCELLED'

interface VerifyResultBase<R extends FactorResult> extends OktaResource {
  /** The outcome of the verification. */
  factorResult: R
  /** Okta's message about the result; `null` when Okta sends none (its schema makes it nullable). */
  factorMessage?: string | null
  /** When the verification or its challenge expires (ISO 8601), where Okta says. */
  expiresAt?: string
  /** The factor's profile, when Okta sends it. */
  profile?: Record<string, unknown>
  /** Links, e.g. `poll` for a waiting push, `cancel`. */
  _links?: HalLinks
  /** Embedded resources, e.g. a number matching `challenge`. */
  _embedded?: Record<string, unknown>
  [extra: string]: unknown
}

/**
 * The passcode or answer was accepted (or the push approved).
 *
 * @example
 * ```ts
 * if (r.factorResult === 'SUCCESS') recordMfa()
 * ```
 */
export type VerifySuccess = VerifyResultBase<'SUCCESS'>
/**
 * A code was sent (sms, call, email); verify again with it.
 *
 * @example
 * ```ts
 * if (r.factorResult === 'CHALLENGE') askForTheCode()
 * ```
 */
export type VerifyChallenge = VerifyResultBase<'CHALLENGE'>
/**
 * A push is waiting for the user; poll `_links.poll` with `getFactorTransaction`.
 *
 * @example
 * ```ts
 * if (r.factorResult === 'WAITING') poll(pollTransactionId(r))
 * ```
 */
export interface VerifyWaiting extends VerifyResultBase<'WAITING'> {
  /** `challenge.correctAnswer`: the number the user must pick in Okta Verify (a number matching push). */
  _embedded?: {
    /** The number challenge, when the push asks for one (`null` or absent otherwise). */
    challenge?: {
      /** The number the user must pick in Okta Verify. */
      correctAnswer?: number
    } | null
    [extra: string]: unknown
  }
}
/**
 * The verification ended without success.
 *
 * @example
 * ```ts
 * if (r.factorResult === 'REJECTED') deny()
 * ```
 */
export type VerifyFailure = VerifyResultBase<Exclude<FactorResult, 'SUCCESS' | 'CHALLENGE' | 'WAITING'>>

/**
 * Result of `verifyFactor` and `getFactorTransaction`: a union discriminated on `factorResult`.
 *
 * @example
 * ```ts
 * const r: VerifyFactorResult = await client.verifyFactor(uid, fid, { passCode })
 * ```
 */
export type VerifyFactorResult = VerifySuccess | VerifyChallenge | VerifyWaiting | VerifyFailure
