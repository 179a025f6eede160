// Guards the wire shapes: every field that Okta's own examples (test/fixtures/okta) and the
// captures from real orgs have, the emulator's responses have too, with the same JSON type, at
// every depth; and every `href` is an absolute URL on the emulator's host.
import t, { type Test } from 'tap'
import { readFile } from 'node:fs/promises'
import { emuFetch, userWithTotp, withEmulator, type TestEmulator } from '../helpers/emulator.js'

const REF = new URL('../fixtures/okta/', import.meta.url)
const factorsEx = JSON.parse(await readFile(new URL('factors-examples.json', REF), 'utf8')) as Record<string, { value: unknown }>
const usersEx = JSON.parse(await readFile(new URL('users-examples.json', REF), 'utf8')) as Record<string, { value: unknown }>
const captures = (JSON.parse(await readFile(new URL('real-captures-terraform-vcr.json', REF), 'utf8')) as {
  captures: Array<{ request: { method: string, url: string }, response: { status: number, body: unknown } }>
}).captures

const kind = (v: unknown): string => v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v

/** Timestamps Okta's schema marks nullable: null until the event happens (a fresh user has never logged in). */
const NULLABLE = new Set(['lastLogin', 'passwordChanged', 'activated', 'statusChanged'])

/** Paths where `actual` lacks a field of `example` or has another type. A null in the example only requires the key. */
function shapeDiff (example: unknown, actual: unknown, path = '$'): string[] {
  if (example === null) return []
  if (actual === null && NULLABLE.has(path.slice(path.lastIndexOf('.') + 1))) return []
  if (kind(example) !== kind(actual)) return [`${path}: expected ${kind(example)}, got ${kind(actual)}`]
  if (Array.isArray(example)) {
    const a = actual as unknown[]
    if (example.length === 0) return []
    if (a.length === 0) return [`${path}: expected a non-empty array`]
    return example.flatMap((ex, i) => shapeDiff(ex, a[Math.min(i, a.length - 1)], `${path}[${i}]`))
  }
  if (kind(example) === 'object') {
    const a = actual as Record<string, unknown>
    return Object.entries(example as Record<string, unknown>).flatMap(([k, v]) =>
      k in a ? shapeDiff(v, a[k], `${path}.${k}`) : [`${path}.${k}: missing`])
  }
  return []
}

/** Every href under `v`, for the absolute-URL check. */
function hrefs (v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(hrefs)
  if (kind(v) !== 'object') return []
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => k === 'href' && typeof x === 'string' ? [x] : hrefs(x))
}

function same (t: Test, name: string, example: unknown, actual: unknown, emu: TestEmulator): void {
  t.same(shapeDiff(example, actual), [], `${name}: every field of Okta's example, same types`)
  const bad = hrefs(actual).filter((h) => !h.startsWith(`${emu.url}/`))
  t.same(bad, [], `${name}: hrefs are absolute on the request host`)
}
const ex = (name: string): unknown => {
  const e = factorsEx[name] ?? usersEx[name]
  if (e === undefined) throw new Error(`no example ${name}`)
  return e.value
}

await t.test('users', async (t) => {
  const emu = await withEmulator(t)
  const staged = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { firstName: 'Isaac', lastName: 'Brock', email: 'isaac.brock@example.com', login: 'isaac.brock@example.com', mobilePhone: '555-415-1337' } })
  t.equal(staged.status, 200)
  same(t, 'create-user-without-credentials-response', ex('create-user-without-credentials-response'), staged.body, emu)

  const full = (ex('user-example') as { profile: Record<string, string> }).profile
  const active = await emuFetch(emu, 'POST', '/api/v1/users?activate=true', {
    profile: { ...full, login: 'full@example.com', email: 'full@example.com' },
    credentials: { password: { value: 'tlpWENT2m' }, recovery_question: { question: "What's my childhood elementary school?", answer: 'Hyde Park' } },
  })
  t.equal(active.body.status, 'ACTIVE')
  same(t, 'user-example', ex('user-example'), active.body, emu)

  const list = await emuFetch(emu, 'GET', '/api/v1/users?limit=10')
  same(t, 'ListUsersResponse', ex('ListUsersResponse'), (list.body as Array<{ id: string }>).filter((u) => u.id === active.body.id), emu)
  // The search examples' users are activated ones, with their primary email verified in `credentials.emails`.
  const byQ = await emuFetch(emu, 'GET', '/api/v1/users?q=full')
  same(t, 'ListUsersQResponse', [(ex('ListUsersQResponse') as unknown[])[0]], byQ.body, emu)
  const byFilter = await emuFetch(emu, 'GET', `/api/v1/users?filter=${encodeURIComponent(`id eq "${String(active.body.id)}"`)}`)
  same(t, 'ListUsersFilterResponse', [(ex('ListUsersFilterResponse') as unknown[])[0]], byFilter.body, emu)
  t.same(byQ.body[0].credentials.emails, [{ value: 'full@example.com', status: 'VERIFIED', type: 'PRIMARY' }], "the user's email, verified")
  t.notOk('emails' in staged.body.credentials, 'a user never activated has none (as the real answers show)')

  // Captures from real orgs: create (PROVISIONED and STAGED), get, deactivate, get DEPROVISIONED.
  const provisioned = await emuFetch(emu, 'POST', '/api/v1/users', { credentials: { password: {} }, profile: { email: 'john@ledzeppelin.com', firstName: 'TestAcc', lastName: 'Jones', login: 'john@ledzeppelin.com', postalAddress: null } })
  t.equal(provisioned.body.status, 'PROVISIONED', 'no password value + activate default gives PROVISIONED, as the capture shows')
  const real = captures.filter((c) => /\/api\/v1\/users(\?activate=false)?$|\/api\/v1\/users\/00u\w+$/.test(c.request.url) && c.response.status === 200)
  const createdProvisioned = real.find((c) => c.request.method === 'POST' && !c.request.url.includes('activate=false'))!
  same(t, 'capture: create PROVISIONED', createdProvisioned.response.body, provisioned.body, emu)
  const createdStaged = real.find((c) => c.request.method === 'POST' && c.request.url.includes('activate=false'))!
  same(t, 'capture: create STAGED', createdStaged.response.body, staged.body, emu)
  const deprovisionedCapture = real.find((c) => c.request.method === 'GET' && (c.response.body as { status: string }).status === 'DEPROVISIONED')!
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${staged.body.id}/lifecycle/deactivate`)).text, '{}')
  const deprovisioned = await emuFetch(emu, 'GET', `/api/v1/users/${staged.body.id}`)
  same(t, 'capture: get DEPROVISIONED', deprovisionedCapture.response.body, deprovisioned.body, emu)
})

await t.test("create: the options of Okta's createUser examples", async (t) => {
  const emu = await withEmulator(t)
  let n = 0
  /** POSTs an example request with a fresh login (the examples all use one). */
  const create = (name: string, query = '', change: Record<string, unknown> = {}) => {
    const body = structuredClone(ex(name)) as { profile: Record<string, string> }
    body.profile.login = body.profile.email = `isaac${++n}@example.com`
    return emuFetch(emu, 'POST', `/api/v1/users${query}`, { ...body, ...change })
  }
  for (const [example, query] of [['authentication-provider', ''], ['authentication-provider', '?provider=true'], ['imported-hashed-password', ''], ['password-import-inline-hook', '']]) {
    const r = await create(`create-user-with-${example!}-request`, query)
    const want = ex(`create-user-with-${example!}-response`) as { status: string, credentials: Record<string, unknown> }
    t.same([r.status, r.body.status, r.body.credentials.provider], [200, want.status, want.credentials['provider']], `${example!}${query!}: status and provider as Okta's example`)
    t.same(Object.keys(r.body.credentials), Object.keys(want.credentials), `${example!}: the credentials Okta shows`)
    // Not the links: these examples give an ACTIVE user `activate`, and a FEDERATION one changeRecoveryQuestion.
    same(t, `create-user-with-${example!}-response`, { ...want, _links: null }, r.body, emu)
  }
  const federated = await create('create-user-with-authentication-provider-request', '?activate=false')
  t.equal(federated.body.status, 'STAGED')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${federated.body.id}/lifecycle/activate`)).status, 200)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${federated.body.id}`)).body.status, 'ACTIVE', 'a FEDERATION user needs no password to be ACTIVE')
  const withPassword = await create('create-user-with-authentication-provider-request', '', { credentials: { provider: { type: 'FEDERATION', name: 'FEDERATION' }, password: { value: 'Pa55word!' } } })
  t.same([withPassword.status, withPassword.body.errorCode], [400, 'E0000001'], "FEDERATION takes no password (Okta's schema)")

  // nextLogin=changePassword: the password is expired at once; Okta's two example errors, word for word.
  const password = { credentials: { password: { value: 'tlpWENT2m' } } }
  const expired = await create('create-user-with-password-request', '?activate=true&nextLogin=changePassword', password)
  t.same([expired.status, expired.body.status, expired.body.credentials.password], [200, 'PASSWORD_EXPIRED', {}])
  const noPassword = await create('create-user-without-credentials-request', '?nextLogin=changePassword')
  t.same({ ...noPassword.body, errorId: 'x' }, { ...(ex('ErrorCreateUserWithExpiredPasswordWithNullPassword') as object), errorId: 'x' })
  t.equal(noPassword.status, 400)
  const notActivated = await create('create-user-with-password-request', '?activate=false&nextLogin=changePassword', password)
  t.same({ ...notActivated.body, errorId: 'x' }, { ...(ex('ErrorCreateUserWithExpiredPasswordWithoutActivation') as object), errorId: 'x' })
  t.equal(notActivated.status, 400)

  const otherType = await create('create-user-with-non-default-user-type-request')
  t.same([otherType.status, otherType.body.errorSummary, otherType.body.errorCauses], [400, 'Api validation failed: newUser', [{ errorSummary: 'type: The user type does not exist.' }]], 'a user type the org does not have, as update refuses it')
  const inGroup = await create('create-user-in-group-request')
  t.same([inGroup.status, inGroup.body.errorCode, inGroup.body.errorSummary], [404, 'E0000007', 'Not found: Resource not found: 00g1emaKYZTWRYYRRTSK (UserGroup)'], 'the emulator has no groups')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users?search=${encodeURIComponent(`profile.login eq "isaac${n}@example.com"`)}`)).body.length, 0, 'nothing was created')

  // fields: the projection of Okta's ListUsersFieldsResponse (fields=status,profile:(firstName,city)).
  await create('create-user-with-password-request', '', { profile: { login: 'alice@example.com', email: 'alice@example.com', firstName: 'Alice', city: 'Chicago' } })
  const projected = await emuFetch(emu, 'GET', `/api/v1/users?search=${encodeURIComponent('profile.city eq "Chicago"')}&fields=${encodeURIComponent('status,profile:(firstName,city)')}`)
  const alice = (ex('ListUsersFieldsResponse') as Array<Record<string, unknown>>)[0]
  t.same(projected.body, [{ ...alice, id: projected.body[0]?.id }], "Alice as Okta's example shows her (the id aside)")
})

await t.test('factors', async (t) => {
  const emu = await withEmulator(t)
  // Okta's email example enrolls test@gmail.com: an address must be the user's primary or secondary one (its schema).
  const user = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'dade.murphy@example.com', email: 'dade.murphy@example.com', secondEmail: 'test@gmail.com' } })
  const U = `/api/v1/users/${user.body.id}`
  const enroll = async (body: unknown, query = ''): Promise<{ id: string } & Record<string, unknown>> => {
    const r = await emuFetch(emu, 'POST', `${U}/factors${query}`, body)
    t.equal(r.status, 200, `enroll ${JSON.stringify(body)}`)
    return r.body
  }

  const google = await enroll(ex('EnrollFactorGoogleRequest'))
  same(t, 'EnrollFactorGoogleResponse', ex('EnrollFactorGoogleResponse'), google, emu)
  const linkNames = (v: unknown): string[] => Object.keys((v as { _links: object })._links).sort()
  t.same(linkNames(google), linkNames(ex('EnrollFactorGoogleResponse')), 'enroll: exactly the _links of Okta\'s example (activate, self, user)')
  const okta = await enroll(ex('EnrollFactorOVTotpRequest'))
  same(t, 'EnrollFactorOVTotpResponse', ex('EnrollFactorOVTotpResponse'), okta, emu)
  same(t, 'ListFactorsResults (pending TOTP)', (ex('ListFactorsResults') as unknown[])[1], (await emuFetch(emu, 'GET', `${U}/factors/${okta.id}`)).body, emu)
  const activated = await emuFetch(emu, 'POST', `${U}/factors/${okta.id}/lifecycle/activate`, { passCode: emu.totpCode(okta.id) })
  same(t, 'ActivateFactorTotpResponse', ex('ActivateFactorTotpResponse'), activated.body, emu)
  emu.clock.advance(30_000)
  const verified = await emuFetch(emu, 'POST', `${U}/factors/${okta.id}/verify`, { passCode: emu.totpCode(okta.id) })
  t.same(verified.body, ex('UserFactorVerifySuccessTotpResponse'))

  const sms = await enroll(ex('EnrollFactorSmsRequest'))
  same(t, 'EnrollFactorSmsResponse', ex('EnrollFactorSmsResponse'), sms, emu)
  t.same(linkNames(sms), linkNames(ex('EnrollFactorSmsResponse')), 'enroll sms: exactly the _links of Okta\'s example')
  const smsActive = await emuFetch(emu, 'POST', `${U}/factors/${sms.id}/lifecycle/activate`, { passCode: emu.lastMessage({ factorId: sms.id })!.code })
  same(t, 'ActivateFactorSmsResponse', ex('ActivateFactorSmsResponse'), smsActive.body, emu)
  same(t, 'FactorResponseSms', ex('FactorResponseSms'), (await emuFetch(emu, 'GET', `${U}/factors/${sms.id}`)).body, emu)
  emu.clock.advance(30_000)
  same(t, 'UserFactorChallengeSmsResponse', ex('UserFactorChallengeSmsResponse'), (await emuFetch(emu, 'POST', `${U}/factors/${sms.id}/verify`)).body, emu)
  t.same((await emuFetch(emu, 'POST', `${U}/factors/${sms.id}/verify`, { passCode: emu.lastMessage({ factorId: sms.id })!.code })).body, ex('UserFactorVerifySuccessSmsResponse'))

  const call = await enroll(ex('EnrollFactorCallRequest'))
  same(t, 'EnrollFactorCallResponse', ex('EnrollFactorCallResponse'), call, emu)
  const callActive = await emuFetch(emu, 'POST', `${U}/factors/${call.id}/lifecycle/activate`, { passCode: emu.lastMessage({ factorId: call.id })!.code })
  same(t, 'ActivateFactorCallResponse', ex('ActivateFactorCallResponse'), callActive.body, emu)
  emu.clock.advance(30_000)
  same(t, 'UserFactorChallengeCallResponse', ex('UserFactorChallengeCallResponse'), (await emuFetch(emu, 'POST', `${U}/factors/${call.id}/verify`)).body, emu)

  const email = await enroll(ex('EnrollFactorEmailRequest'))
  same(t, 'EnrollFactorEmailResponse', ex('EnrollFactorEmailResponse'), email, emu)
  const emailActive = await emuFetch(emu, 'POST', `${U}/factors/${email.id}/lifecycle/activate`, { passCode: emu.lastMessage({ factorId: email.id })!.code })
  same(t, 'ActivateFactorEmailResponse', ex('ActivateFactorEmailResponse'), emailActive.body, emu)
  same(t, 'FactorEmail', ex('FactorEmail'), (await emuFetch(emu, 'GET', `${U}/factors/${email.id}`)).body, emu)
  emu.clock.advance(30_000)
  same(t, 'UserFactorChallengeEmailResponse', ex('UserFactorChallengeEmailResponse'), (await emuFetch(emu, 'POST', `${U}/factors/${email.id}/verify`)).body, emu)

  const question = await enroll((ex('EnrollFactorQuestionRequest') as { question: { value: unknown } }).question.value)
  same(t, 'EnrollFactorQuestionResponse', ex('EnrollFactorQuestionResponse'), question, emu)
  t.same((await emuFetch(emu, 'POST', `${U}/factors/${question.id}/verify`, ex('UserFactorVerifySecurityQuestionRequest'))).body, ex('UserFactorVerifySuccessSqResponse'))

  const push = await enroll(ex('EnrollFactorOVPushRequest'))
  same(t, 'EnrollFactorOVPushResponse', ex('EnrollFactorOVPushResponse'), push, emu)
  emu.activatePush(push.id)
  same(t, 'ActivateFactorPushResponse', ex('ActivateFactorPushResponse'), (await emuFetch(emu, 'POST', `${U}/factors/${push.id}/lifecycle/activate/poll`)).body, emu)
  const waiting = await emuFetch(emu, 'POST', `${U}/factors/${push.id}/verify`)
  t.equal(waiting.status, 201)
  same(t, 'UserFactorChallengePushResponse', ex('UserFactorChallengePushResponse'), waiting.body, emu)
  const poll = new URL(waiting.body._links.poll.href).pathname
  same(t, 'UserFactorVerifyPushTransactionWaiting', ex('UserFactorVerifyPushTransactionWaiting'), (await emuFetch(emu, 'GET', poll)).body, emu)
  emu.rejectPush(poll.split('/').pop()!)
  same(t, 'UserFactorVerifyPushTransactionRejected', ex('UserFactorVerifyPushTransactionRejected'), (await emuFetch(emu, 'GET', poll)).body, emu)
  const nmc = await emuFetch(emu, 'POST', `${U}/factors/${push.id}/verify`, ex('NumberMatchingChallengeRequest'))
  t.equal(nmc.status, 201)
  same(t, 'UserFactorChallengePushResponseWithNumberMatchingChallenge', ex('UserFactorChallengePushResponseWithNumberMatchingChallenge'), nmc.body, emu)
  const nmcPoll = (await emuFetch(emu, 'GET', new URL(nmc.body._links.poll.href).pathname)).body
  same(t, 'UserFactorVerifyPushTransactionWaitingNMC', ex('UserFactorVerifyPushTransactionWaitingNMC'), nmcPoll, emu)
  // No field beyond the example's either: a push factor has no profile until a phone activates it, and only a poll
  // carries the credentialId (a client may tell a poll answer from the challenge's by it).
  const keys = (v: unknown): string[] => Object.keys(v as object).sort()
  t.same(keys(push), keys(ex('EnrollFactorOVPushResponse')), 'the push enrollment: no profile')
  t.same(keys(waiting.body), keys(ex('UserFactorChallengePushResponse')), 'the push challenge: no profile')
  t.same(keys(nmc.body), keys(ex('UserFactorChallengePushResponseWithNumberMatchingChallenge')), 'the number matching challenge: no profile')
  t.same(keys(nmcPoll), keys(ex('UserFactorVerifyPushTransactionWaitingNMC')), 'its poll: the profile')
  t.equal(nmcPoll._embedded.challenge.correctAnswer, nmc.body._embedded.challenge.correctAnswer, 'the poll repeats the number')
  const second = await emuFetch(emu, 'POST', `${U}/factors/${push.id}/verify`)
  emu.approvePush(new URL(second.body._links.poll.href).pathname.split('/').pop()!)
  t.same((await emuFetch(emu, 'GET', new URL(second.body._links.poll.href).pathname)).body, ex('UserFactorVerifyPushTransactionApproved'))
  // A push nobody answers polls TIMEOUT after its expiresAt, shaped as Okta's TIMEOUT example: profile, verify, factor.
  const unanswered = await emuFetch(emu, 'POST', `${U}/factors/${push.id}/verify`)
  emu.clock.set(Date.parse(unanswered.body.expiresAt) + 1000)
  const timedOut = (await emuFetch(emu, 'GET', new URL(unanswered.body._links.poll.href).pathname)).body
  t.equal(timedOut.factorResult, 'TIMEOUT')
  same(t, 'UserFactorVerifyPushTransactionTimeout', ex('UserFactorVerifyPushTransactionTimeout'), timedOut, emu)
  t.same(keys(timedOut), keys(ex('UserFactorVerifyPushTransactionTimeout')), 'the TIMEOUT poll: no expiresAt, no challenge')
  t.same(Object.keys(timedOut._links).sort(), ['factor', 'verify'], 'the TIMEOUT poll links verify and factor only')

  const list = await emuFetch(emu, 'GET', `${U}/factors`)
  for (const e of ex('ListFactorsResults') as Array<{ factorType: string, status: string }>) {
    const mine = (list.body as Array<{ factorType: string, status: string }>).find((f) => f.factorType === e.factorType && f.status === e.status) ??
      (await emuFetch(emu, 'GET', `${U}/factors/${google.id}`)).body
    same(t, `ListFactorsResults ${e.factorType}`, e, mine, emu)
  }

  const catalog = (await emuFetch(emu, 'GET', `${U}/factors/catalog`)).body as Array<{ factorType: string, provider: string }>
  for (const e of ex('SupportedFactorResults') as Array<{ factorType: string, provider: string }>) {
    if (e.factorType === 'token') continue // RSA / Symantec hardware tokens are out of the emulator's scope
    const mine = catalog.find((c) => c.factorType === e.factorType && c.provider === e.provider)
    same(t, `SupportedFactorResults ${e.factorType}/${e.provider}`, e, mine, emu)
  }

  // The question factor exactly as a real org answered the same requests.
  const q = captures.find((c) => c.request.method === 'POST' && c.request.url.endsWith('/factors'))!
  same(t, 'capture: enroll question', q.response.body, question, emu)
  const qs = captures.find((c) => c.request.url.endsWith('/factors/questions'))!
  t.same((await emuFetch(emu, 'GET', `${U}/factors/questions`)).body, qs.response.body, 'the same security questions as a real org')

  // Every question of the spec's enum can be a factor's, the one a real org no longer lists too.
  const spec = await readFile(new URL('factors-subset.yaml', REF), 'utf8')
  const block = spec.slice(spec.indexOf('UserFactorSecurityQuestionProfile:'))
  const enumList = (/question:[\s\S]*?enum:\n((?:\s+- \w+\n)+)/.exec(block)?.[1] ?? '').trim().split(/\n\s*- |^- /).filter(Boolean)
  t.ok(enumList.length >= 20 && enumList.includes('first_kiss_location'), `the spec's enum is read (${enumList.length})`)
  const listed = new Map((qs.response.body as Array<{ question: string, questionText: string }>).map((x) => [x.question, x.questionText]))
  for (const key of enumList) {
    const u = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `q.${key}@example.com`, email: `q.${key}@example.com` } })
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${u.body.id as string}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: key, answer: 'an answer' } })
    t.same([r.status, r.body.profile?.question], [200, key], `enroll ${key}`)
    t.equal(r.body.profile?.questionText, listed.get(key) ?? 'Where did you have your first kiss?', `${key}: its text`)
  }
  const kiss = await emuFetch(emu, 'PUT', `${U}/factors/${question.id as string}`, { profile: { question: 'first_kiss_location', answer: 'in Paris' } })
  t.same([kiss.status, kiss.body.profile?.question], [200, 'first_kiss_location'], 'a question factor can change to it')
  const unknown = await emuFetch(emu, 'PUT', `${U}/factors/${question.id as string}`, { profile: { question: 'first_pet', answer: 'a dog' } })
  t.same([unknown.status, unknown.body.errorCauses?.[0]?.errorSummary], [400, 'question: The security question is not valid.'], 'a question of no list is still refused')
})

await t.test('errors', async (t) => {
  const emu = await withEmulator(t, { rateLimits: { limits: { user: 0 } } })
  const validation = await emuFetch(emu, 'POST', '/api/v1/users', { profile: {} })
  same(t, 'ErrorApiValidationFailed', ex('ErrorApiValidationFailed'), validation.body, emu)
  const missing = await emuFetch(emu, 'GET', '/api/v1/users/00u0000000000000none/factors')
  same(t, 'ErrorResourceNotFound', ex('ErrorResourceNotFound'), missing.body, emu)
  const limited = await emuFetch(emu, 'GET', '/api/v1/users/00u0000000000000none')
  t.equal(limited.status, 429)
  same(t, 'ErrorTooManyRequests', ex('ErrorTooManyRequests'), limited.body, emu)
  const bad = captures.find((c) => c.response.status === 400)!
  const unknownAttr = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { email: 'x@example.com', login: 'x@example.com', notValid: 'this-isnt-valid' } })
  t.same({ ...unknownAttr.body, errorId: 'x' }, { ...(bad.response.body as object), errorId: 'x' }, 'an unknown profile attribute is refused word for word as a real org refuses it')
})

// The error codes the emulator answers with, each triggered over HTTP, against Okta's error-code table
// (test/fixtures/okta/error-codes.json): the HTTP status and the errorSummary word for word, `{0}` standing for
// the part Okta fills in. Left out, each for its reason:
// - E0000124 and E0000125: the emulator follows the createUser examples' wording for them (a final period, `activate`
//   in backticks), compared with those examples above;
// - E0000020 and E0000003 where Node's HTTP layer refuses a request before any route (408, 413, 417, 431): the status
//   says what happened, as the emulator README's table says, and http-edge.test.ts checks each;
// - E0000009: the answer to a data file that cannot be written, which a test cannot cause over HTTP alone.
const codeTable = new Map((JSON.parse(await readFile(new URL('error-codes.json', REF), 'utf8')) as {
  errors: Array<{ errorCode: string, statusCode: number, errorSummary: string }>
}).errors.map((e) => [e.errorCode, e]))
const summaryPattern = (s: string): RegExp => new RegExp(`^${s.split('{0}').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`)

await t.test("each error code's status and errorSummary are those of Okta's error-code table", async (t) => {
  const emu = await withEmulator(t)
  const seen = new Set<string>()
  const check = (name: string, r: { status: number, body: any }, code: string): void => {
    const ref = codeTable.get(code)
    seen.add(code)
    if (!t.ok(ref, `${name}: ${code} is in Okta's table`) || ref === undefined) return
    t.match(r.body, { errorCode: code, errorLink: code, errorId: /^oae[\w-]{22}$/, errorCauses: Array }, `${name}: ${code} envelope`)
    t.equal(r.status, ref.statusCode, `${name}: ${code} is HTTP ${ref.statusCode}`)
    t.match(r.body.errorSummary, summaryPattern(ref.errorSummary), `${name}: "${ref.errorSummary}"`)
  }
  const user = async (login: string, q = '?activate=false', credentials?: unknown): Promise<string> =>
    (await emuFetch(emu, 'POST', `/api/v1/users${q}`, { profile: { firstName: 'E', lastName: 'R', login, email: login }, credentials })).body.id
  const active = await user('err.active@example.com', '?activate=true', { password: { value: 'Err-Passw0rd-1' }, recovery_question: { question: 'Band?', answer: 'Modest Mouse' } })
  const staged = await user('err.staged@example.com')
  const A = `/api/v1/users/${active}`
  const S = `/api/v1/users/${staged}`

  check('unknown factor type', await emuFetch(emu, 'POST', `${A}/factors`, { factorType: 'nope', provider: 'OKTA' }), 'E0000001')
  check('malformed JSON', await emuFetch(emu, 'POST', `${A}/factors`, '{"factorType":'), 'E0000003')
  check('no Authorization', await emuFetch(emu, 'GET', A, undefined, { authorization: '' }), 'E0000005')
  check('unknown user', await emuFetch(emu, 'GET', '/api/v1/users/00u0000000000000none'), 'E0000007')
  check('wrong token', await emuFetch(emu, 'GET', A, undefined, { authorization: 'SSWS wrong' }), 'E0000011')
  check('wrong old password', await emuFetch(emu, 'POST', `${A}/credentials/change_password`, { oldPassword: { value: 'not-it-1A' }, newPassword: { value: 'Brand-New-1' } }), 'E0000014')
  check('activate an ACTIVE user', await emuFetch(emu, 'POST', `${A}/lifecycle/activate`), 'E0000016')
  check('Accept without JSON', await emuFetch(emu, 'GET', A, undefined, { accept: 'application/xml' }), 'E0000021')
  check('wrong method', await emuFetch(emu, 'PATCH', A), 'E0000022')
  check('bad date', await emuFetch(emu, 'GET', `/api/v1/users?search=${encodeURIComponent('created lt "yesterday"')}`), 'E0000030')
  check('bad search', await emuFetch(emu, 'GET', '/api/v1/users?search=bad'), 'E0000031')
  check('unlock a STAGED user', await emuFetch(emu, 'POST', `${S}/lifecycle/unlock`), 'E0000032')
  check('forgot password of a STAGED user', await emuFetch(emu, 'POST', `${S}/credentials/forgot_password`), 'E0000034')
  check('change password of a STAGED user', await emuFetch(emu, 'POST', `${S}/credentials/change_password`, { oldPassword: { value: 'a-Passw0rd' }, newPassword: { value: 'b-Passw0rd' } }), 'E0000035')
  check('change recovery question of a STAGED user', await emuFetch(emu, 'POST', `${S}/credentials/change_recovery_question`, { password: { value: 'a-Passw0rd' }, recovery_question: { question: 'q?', answer: 'answer' } }), 'E0000036')
  check('expire the password of a STAGED user', await emuFetch(emu, 'POST', `${S}/lifecycle/expire_password`), 'E0000038')
  check('wrong recovery answer', await emuFetch(emu, 'POST', `${A}/credentials/forgot_password`, { password: { value: 'New-Passw0rd-2' }, recovery_question: { answer: 'wrong' } }), 'E0000087')
  check('call extension', await emuFetch(emu, 'POST', `${S}/factors`, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1337', phoneExtension: 'x' } }), 'E0000121')
  check('If-Match of another version', await emuFetch(emu, 'POST', A, { profile: { title: 'T' } }, { 'if-match': 'W/"other"' }), 'E0000231')
  check('If-Match malformed', await emuFetch(emu, 'POST', A, { profile: { title: 'T' } }, { 'if-match': 'other' }), 'E0000242')

  for (const [factorType, code] of [['sms', 'E0000109'], ['call', 'E0000133'], ['email', 'E0000118']] as const) {
    const f = (await emuFetch(emu, 'POST', `${A}/factors?activate=true`, { factorType, provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1337', email: 'err.active@example.com' } })).body
    t.equal((await emuFetch(emu, 'POST', `${A}/factors/${f.id as string}/verify`)).status, 200, `${factorType}: a first challenge`)
    check(`${factorType} challenged again at once`, await emuFetch(emu, 'POST', `${A}/factors/${f.id as string}/verify`), code)
  }

  const totp = (await emuFetch(emu, 'POST', `${S}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body
  for (let i = 0; i < 5; i++) check('wrong activation code', await emuFetch(emu, 'POST', `${S}/factors/${totp.id as string}/lifecycle/activate`, { passCode: '000000' }), 'E0000068')
  check('a sixth wrong activation', await emuFetch(emu, 'POST', `${S}/factors/${totp.id as string}/lifecycle/activate`, { passCode: '000000' }), 'E0000047')

  const { userId, factorId } = await userWithTotp(emu, 'err.totp@example.com')
  const V = `/api/v1/users/${userId}/factors/${factorId}/verify`
  const code = emu.totpCode(factorId)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: code })).status, 200)
  check('replayed code', await emuFetch(emu, 'POST', V, { passCode: code }), 'E0000082')
  for (let i = 0; i < 5; i++) await emuFetch(emu, 'POST', V, { passCode: '000000' })
  emu.clock.advance(30_000) // a fresh, right code: refused for the lock, not as a replay
  check('locked user', await emuFetch(emu, 'POST', V, { passCode: emu.totpCode(factorId) }), 'E0000069')

  const search = encodeURIComponent(Array.from({ length: 200 }, (_, i) => `(profile.login eq "h${i}@example.com")`).join(' or '))
  check('a list whose Link header would be too large', await emuFetch(emu, 'GET', `/api/v1/users?limit=1&search=${search}`), 'E0000256')
  check("an OAuth token on the emulator's own routes", await emuFetch(emu, 'GET', '/__emulator/messages', undefined, { authorization: 'Bearer any' }), 'E0000006')

  t.equal(seen.size, 29, 'each case above reached its check')
})
