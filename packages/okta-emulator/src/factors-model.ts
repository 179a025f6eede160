// Factors as Okta renders them (`_links` and `_embedded` by type and status, as in Okta's
// examples), the factor catalog, and Okta's list of security questions.
import { iso } from './context.js'
import type { FactorRecord, FactorType, UserRecord } from './types.js'

/** Every factor type the emulator enrolls (what its API, its seeds and its data files accept). */
export const FACTOR_TYPES: readonly FactorType[] = ['token:software:totp', 'sms', 'call', 'email', 'question', 'push']

/** How long a push enrollment (its QR code) stays valid, from its enrollment, re-activation or seeding. */
export const PUSH_ENROLL_MS = 10 * 60_000

/** Okta's security questions (key, text), as a real org lists them. */
export const SECURITY_QUESTIONS: ReadonlyMap<string, string> = new Map([
  ['disliked_food', 'What is the food you least liked as a child?'],
  ['name_of_first_plush_toy', 'What is the name of your first stuffed animal?'],
  ['first_award', 'What did you earn your first medal or award for?'],
  ['favorite_security_question', 'What is your favorite security question?'],
  ['favorite_toy', 'What is the toy/stuffed animal you liked the most as a kid?'],
  ['first_computer_game', 'What was the first computer game you played?'],
  ['favorite_movie_quote', 'What is your favorite movie quote?'],
  ['first_sports_team_mascot', 'What was the mascot of the first sports team you played on?'],
  ['first_music_purchase', 'What music album or song did you first purchase?'],
  ['favorite_art_piece', 'What is your favorite piece of art?'],
  ['grandmother_favorite_desert', "What was your grandmother's favorite dessert?"],
  ['first_thing_cooked', 'What was the first thing you learned to cook?'],
  ['childhood_dream_job', 'What was your dream job as a child?'],
  ['place_where_significant_other_was_met', 'Where did you meet your spouse/significant other?'],
  ['favorite_vacation_location', 'Where did you go for your favorite vacation?'],
  ['new_years_two_thousand', "Where were you on New Year's Eve in the year 2000?"],
  ['favorite_speaker_actor', 'Who is your favorite speaker/orator?'],
  ['favorite_book_movie_character', 'Who is your favorite book/movie character?'],
  ['favorite_sports_player', 'Who is your favorite sports player?'],
])

/**
 * Every question a factor may have, with its text: the listed ones, and `first_kiss_location`, which
 * Okta's spec still names as a factor's question though an org no longer lists it (`GET …/questions`).
 */
export const QUESTION_TEXT: ReadonlyMap<string, string> = new Map([
  ...SECURITY_QUESTIONS,
  ['first_kiss_location', 'Where did you have your first kiss?'],
])

/** The factor types and providers users can enroll, in catalog order. */
export const CATALOG: ReadonlyArray<{ factorType: FactorType, provider: 'OKTA' | 'GOOGLE' }> = [
  { factorType: 'question', provider: 'OKTA' },
  { factorType: 'token:software:totp', provider: 'OKTA' },
  { factorType: 'token:software:totp', provider: 'GOOGLE' },
  { factorType: 'sms', provider: 'OKTA' },
  { factorType: 'call', provider: 'OKTA' },
  { factorType: 'email', provider: 'OKTA' },
  { factorType: 'push', provider: 'OKTA' },
]

type Link = { href: string, hints: { allow: string[] } }
const link = (href: string, ...allow: string[]): Link => ({ href, hints: { allow } })

/** URLs of one factor. */
export function factorUrls (base: string, f: FactorRecord): { user: string, self: string } {
  const user = `${base}/api/v1/users/${f.userId}`
  return { user, self: `${user}/factors/${f.id}` }
}

/** Whether a pending push enrollment is past its `expiresAt` at `now` (no clock given: not expired). */
export function pushActivationExpired (f: FactorRecord, now: number | undefined): boolean {
  return f.factorType === 'push' && f.status === 'PENDING_ACTIVATION' && now !== undefined && now >= (f.activationExpiresAt ?? f.created)
}

/** The QR-code link of a TOTP or push enrollment. */
export function qrHref (base: string, f: FactorRecord): string {
  return `${factorUrls(base, f).self}/qr/${f.qrToken ?? ''}`
}

/**
 * The factor as Okta renders it. A pending factor's links depend on the answer: the enroll and
 * resend answers (`form: 'enroll'`) carry `activate`, `self`, `user` (and `resend`), as Okta's
 * enroll examples do; GET and the list (`'list'`) name the same link `next`, as Okta's list example does.
 */
export function renderFactor (f: FactorRecord, base: string, form: 'enroll' | 'list' = 'list', now?: number): Record<string, unknown> {
  const { user, self } = factorUrls(base, f)
  const links: Record<string, unknown> = {}
  let embedded: Record<string, unknown> | undefined
  const pending = f.status === 'PENDING_ACTIVATION'
  if (f.factorType === 'question') {
    links['questions'] = link(`${user}/factors/questions`, 'GET')
  } else if (pending && f.factorType === 'push') {
    links['poll'] = link(`${self}/lifecycle/activate/poll`, 'POST')
    if (pushActivationExpired(f, now)) {
      // Okta: an expired activation is TIMEOUT, and its activate link starts a new one (its QR code is gone).
      links['activate'] = link(`${self}/lifecycle/activate`, 'POST')
      embedded = { activation: { expiresAt: iso(f.activationExpiresAt ?? f.created), factorResult: 'TIMEOUT' } }
    } else {
      embedded = {
        activation: {
          expiresAt: iso(f.activationExpiresAt ?? f.created),
          factorResult: 'WAITING',
          _links: {
            send: ['email', 'sms'].map((name) => ({ name, ...link(`${self}/lifecycle/activate/${name}`, 'POST') })),
            qrcode: { href: qrHref(base, f), type: 'image/png' },
          },
        },
      }
    }
  } else if (pending) {
    if (form === 'enroll') links['activate'] = link(`${self}/lifecycle/activate`, 'POST')
    else links['next'] = { name: 'activate', ...link(`${self}/lifecycle/activate`, 'POST') }
    if (f.factorType === 'sms' || f.factorType === 'call' || f.factorType === 'email') {
      links['resend'] = [{ name: f.factorType, ...link(`${self}/resend`, 'POST') }]
    }
    if (f.factorType === 'token:software:totp') {
      embedded = {
        activation: {
          timeStep: 30,
          sharedSecret: f.secret,
          encoding: 'base32',
          keyLength: 6,
          _links: { qrcode: { href: qrHref(base, f), type: 'image/png' } },
        },
        // Okta's examples put the QR link in either place; the project's decision is inside `activation`,
        // and the copy here keeps readers of the other form working.
        _links: { qrcode: { href: qrHref(base, f), type: 'image/png' } },
      }
    }
  } else {
    links['verify'] = link(`${self}/verify`, 'POST')
  }
  links['self'] = pending ? link(self, 'GET') : link(self, 'GET', 'DELETE')
  links['user'] = link(user, 'GET')
  const out: Record<string, unknown> = {
    id: f.id,
    factorType: f.factorType,
    provider: f.provider,
    vendorName: f.provider,
    status: f.status,
    created: iso(f.created),
    lastUpdated: iso(f.lastUpdated),
    // A push factor has no profile until a phone activates it (Okta's EnrollFactorOVPushResponse has none): its
    // credentialId comes with the device's fields.
    ...(f.factorType === 'push' && pending ? {} : { profile: f.profile }),
    _links: links,
  }
  if (embedded !== undefined) out['_embedded'] = embedded
  return out
}

/** The factor catalog of one user (GET …/factors/catalog). */
export function renderCatalog (u: UserRecord, factors: FactorRecord[], base: string): Array<Record<string, unknown>> {
  const user = `${base}/api/v1/users/${u.id}`
  return CATALOG.map(({ factorType, provider }) => {
    const enrolled = factors.find((f) => f.factorType === factorType && f.provider === provider)
    const links: Record<string, unknown> = {}
    if (factorType === 'question') links['questions'] = link(`${user}/factors/questions`, 'GET')
    links['enroll'] = link(`${user}/factors`, 'POST')
    const entry: Record<string, unknown> = {
      factorType,
      provider,
      vendorName: provider,
      status: enrolled === undefined ? 'NOT_SETUP' : enrolled.status,
      enrollment: 'OPTIONAL',
      _links: links,
    }
    if (factorType === 'sms') {
      entry['_embedded'] = {
        phones: factors.filter((f) => f.factorType === 'sms')
          .map((f) => ({ id: f.id, profile: { phoneNumber: f.profile['phoneNumber'] }, status: f.status })),
      }
    }
    return entry
  })
}

/**
 * The cause Okta gives when a factor of the same type and provider is enrolled again: for a text message to another
 * number, "There is an existing verified phone number." (Okta's factors reference, "Existing Phone": a user has one
 * mobile phone); otherwise "A factor of this type is already set up." (also what a voice call to another number gets
 * there).
 */
export function duplicateCause (existing: FactorRecord, wanted: FactorRecord): string {
  if (existing.factorType === 'sms' && phoneDigits(existing) !== phoneDigits(wanted)) return 'There is an existing verified phone number.'
  return 'A factor of this type is already set up.'
}

/** A factor's phone number as its digits only (spaces, dashes, dots and brackets are a way of writing it). */
export function phoneDigits (f: FactorRecord): string {
  const phone = f.profile.phoneNumber
  return typeof phone === 'string' ? phone.replace(/\D/g, '') : ''
}
