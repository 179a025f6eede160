// Guards parsing against Okta's own examples (test/fixtures/okta): every documented response of the
// operations the client covers comes back typed and unchanged, and pagination follows Link rel="next" safely.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { nextLink, parseLinkHeader, pollTransactionId, totpActivation } from '@okta-mfa/client'
import type { CallFactor, OktaUser, UserFactor, VerifyFactorResult, VerifyWaiting } from '@okta-mfa/client'
import { ORG, jsonHeaders, mockOrg } from '../helpers/client-mock.js'

type Examples = Record<string, { value: unknown }>
function examples (file: string): Examples {
  return JSON.parse(readFileSync(new URL(`../fixtures/okta/${file}`, import.meta.url), 'utf8')) as Examples
}
const factorsEx = examples('factors-examples.json')
const usersEx = examples('users-examples.json')
function ex (set: Examples, name: string): Record<string, unknown> {
  const e = set[name]
  if (e === undefined) throw new Error(`example ${name} missing`)
  return e.value as Record<string, unknown>
}
const UID = '00u15s1KDETTQMQYABRL'
const FACTORS = `/api/v1/users/${UID}/factors`

void t.test('enroll responses of every factor type parse unchanged, discriminated on factorType', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const enrolls: Array<[string, string]> = [
    ['EnrollFactorGoogleRequest', 'EnrollFactorGoogleResponse'],
    ['EnrollFactorOVTotpRequest', 'EnrollFactorOVTotpResponse'],
    ['EnrollFactorSmsRequest', 'EnrollFactorSmsResponse'],
    ['EnrollFactorCallRequest', 'EnrollFactorCallResponse'],
    ['EnrollFactorEmailRequest', 'EnrollFactorEmailResponse'],
    ['EnrollFactorOVPushRequest', 'EnrollFactorOVPushResponse'],
    ['EnrollFactorU2fRequest', 'EnrollFactorU2fResponse'],
  ]
  for (const [req, res] of enrolls) {
    const body = ex(factorsEx, req)
    pool.intercept({ path: FACTORS, method: 'POST', body: JSON.stringify(body) }).reply(200, ex(factorsEx, res), { headers: jsonHeaders(`rid-${res}`) })
    const factor = await client.enrollFactor(UID, body as never)
    t.same(factor, ex(factorsEx, res), res)
    t.equal(factor.oktaRequestId, `rid-${res}`)
  }
  // The question example nests its request one level deeper in the spec.
  const question = (ex(factorsEx, 'EnrollFactorQuestionRequest')['question'] as { value: Record<string, unknown> }).value
  pool.intercept({ path: FACTORS, method: 'POST', body: JSON.stringify(question) }).reply(200, ex(factorsEx, 'EnrollFactorQuestionResponse'), { headers: jsonHeaders() })
  const q = await client.enrollFactor(UID, question as never)
  if (q.factorType === 'question') t.equal(q.profile?.question, 'disliked_food')
  else t.fail('question factor expected')
  agent.assertNoPendingInterceptors()
})

void t.test('totpActivation reaches the shared secret and the QR link', async (t) => {
  const google = ex(factorsEx, 'EnrollFactorGoogleResponse') as unknown as UserFactor
  t.same(totpActivation(google), {
    sharedSecret: 'JBTWGV22G4ZGKV3N',
    timeStep: 30,
    keyLength: 16,
    encoding: 'base32',
    qrCodeHref: `https://{yourOktaDomain}/api/v1/users/${UID}/factors/ostf1fmaMGJLMNGNLIVG/qr/00fukNElRS_Tz6k-CFhg3pH4KO2dj2guhmaapXWbc4`,
  })
  // Okta Verify's TOTP example has the link beside the activation (`_embedded._links`), and `UserFactorLinks` puts it in
  // the factor's own `_links`.
  const okta = ex(factorsEx, 'EnrollFactorOVTotpResponse') as unknown as UserFactor
  t.same(totpActivation(okta), {
    sharedSecret: 'JBTWGV22G4ZGKV3N',
    timeStep: 30,
    keyLength: 6,
    encoding: 'base32',
    qrCodeHref: `https://{yourOktaDomain}/api/v1/users/${UID}/factors/ostf1fmaMGJLMNGNLIVG/qr/00fukNElRS_Tz6k-CFhg3pH4KO2dj2guhmaapXWbc4`,
  })
  const { _links: embeddedLinks, ...embedded } = okta._embedded as Record<string, unknown>
  const ownLinks = { ...okta, _embedded: embedded, _links: { ...okta._links, ...(embeddedLinks as object) } } as unknown as UserFactor
  t.match(totpActivation(ownLinks), { qrCodeHref: /\/qr\/00fukNElRS_Tz6k/ }, 'the link in the factor\'s own _links')
  t.match(totpActivation({ ...okta, _embedded: embedded } as unknown as UserFactor), { sharedSecret: 'JBTWGV22G4ZGKV3N', qrCodeHref: undefined })
  const list = ex(factorsEx, 'ListFactorsResults') as unknown as UserFactor[]
  const pendingTotp = list.find((f) => f.factorType === 'token:software:totp')
  t.match(pendingTotp && totpActivation(pendingTotp), { sharedSecret: 'HE64TMLL2IUZW2ZLB', qrCodeHref: undefined })
  t.equal(totpActivation(ex(factorsEx, 'EnrollFactorSmsResponse') as unknown as UserFactor), undefined, 'not a TOTP factor')
  t.equal(totpActivation(ex(factorsEx, 'ActivateFactorTotpResponse') as unknown as UserFactor), undefined, 'already active')
})

void t.test('list, catalog, questions, get, activate, resend parse unchanged', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: FACTORS, method: 'GET' }).reply(200, ex(factorsEx, 'ListFactorsResults'), { headers: jsonHeaders('rid-list') })
  pool.intercept({ path: `${FACTORS}/catalog`, method: 'GET' }).reply(200, ex(factorsEx, 'SupportedFactorResults'), { headers: jsonHeaders() })
  const questions = [{ question: 'disliked_food', questionText: 'What is the food you least liked as a child?' }]
  pool.intercept({ path: `${FACTORS}/questions`, method: 'GET' }).reply(200, questions, { headers: jsonHeaders() })
  pool.intercept({ path: `${FACTORS}/sms2gt8gzgEBPUWBIFHN`, method: 'GET' }).reply(200, ex(factorsEx, 'FactorResponseSms'), { headers: jsonHeaders() })
  pool.intercept({ path: `${FACTORS}/ostf1fmaMGJLMNGNLIVG/lifecycle/activate`, method: 'POST', body: JSON.stringify(ex(factorsEx, 'FactorPasscodeRequest')) })
    .reply(200, ex(factorsEx, 'ActivateFactorTotpResponse'), { headers: jsonHeaders() })
  pool.intercept({ path: `${FACTORS}/mbl1nz9JHJGHWRKMTLHP/resend`, method: 'POST', body: JSON.stringify(ex(factorsEx, 'EnrollFactorSmsRequest')) })
    .reply(200, ex(factorsEx, 'EnrollFactorSmsResponse'), { headers: jsonHeaders() })

  const list = await client.listFactors(UID)
  t.same(list, ex(factorsEx, 'ListFactorsResults'))
  t.equal((list as { oktaRequestId?: string }).oktaRequestId, 'rid-list')
  t.equal(list[0]?.oktaRequestId, 'rid-list', 'each item carries the request id too')
  t.same(list.map((f) => f.factorType), ['question', 'token:software:totp', 'sms'])
  t.same(await client.listFactorCatalog(UID), ex(factorsEx, 'SupportedFactorResults'))
  t.same(await client.listSecurityQuestions(UID), questions)
  const sms = await client.getFactor(UID, 'sms2gt8gzgEBPUWBIFHN')
  t.equal(sms.factorType === 'sms' ? sms.profile?.phoneNumber : undefined, '+1-555-415-1337')
  const active = await client.activateFactor(UID, 'ostf1fmaMGJLMNGNLIVG', { passCode: '123456' })
  t.equal(active.status, 'ACTIVE')
  t.same(await client.resendFactor(UID, 'mbl1nz9JHJGHWRKMTLHP', ex(factorsEx, 'EnrollFactorSmsRequest')), ex(factorsEx, 'EnrollFactorSmsResponse'))
  agent.assertNoPendingInterceptors()
})

void t.test("a push activation answered as Okta's Factors reference shows it (WAITING, TIMEOUT) parses, without a body and from the poll", async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const F = `${FACTORS}/opfbtzzrjgwauUsxO0g4`
  const link = (path: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ href: `${ORG}${F}${path}`, hints: { allow: ['POST'] }, ...extra })
  const waiting = {
    expiresAt: '2015-11-13T07:44:22.000Z',
    factorResult: 'WAITING',
    _links: {
      poll: link('/lifecycle/activate/poll'),
      qrcode: { href: `${ORG}/api/v1/users/${UID}/factors/opfbtzzrjgwauUsxO0g4/qr/00fukNElRS_Tz6k-CFhg3pH4KO2dj2guhmaapXWbc4`, type: 'image/png' },
      send: [{ name: 'email', ...link('/lifecycle/activate/email') }, { name: 'sms', ...link('/lifecycle/activate/sms') }],
    },
  }
  const timeout = { factorResult: 'TIMEOUT', _links: { activate: link('/lifecycle/activate') } }
  const activated = { ...ex(factorsEx, 'ActivateFactorPushResponse') as Record<string, unknown>, id: 'opfbtzzrjgwauUsxO0g4' }
  for (const [path, answer] of [['/lifecycle/activate', waiting], ['/lifecycle/activate', timeout], ['/lifecycle/activate/poll', waiting], ['/lifecycle/activate/poll', timeout], ['/lifecycle/activate/poll', activated]] as const) {
    pool.intercept({ path: `${F}${path}`, method: 'POST' }).reply(200, answer, { headers: jsonHeaders() })
    // (A body typed as possibly absent compiles too, and is sent as none.)
    const noBody = undefined as { passCode: string } | undefined
    const got = path.endsWith('/poll') ? await client.pollFactorActivation(UID, 'opfbtzzrjgwauUsxO0g4') : await client.activateFactor(UID, 'opfbtzzrjgwauUsxO0g4', noBody)
    const said = answer as Record<string, unknown>
    t.same(got, answer, `${path}: ${String(said['factorResult'] ?? said['status'])} as Okta sent it`)
    t.equal(got.factorType !== undefined, answer === activated, 'told apart by factorType')
  }
  // A passcode activation answers the factor; an activation object there, or an answer that is neither, is refused.
  pool.intercept({ path: `${FACTORS}/ostf1fmaMGJLMNGNLIVG/lifecycle/activate`, method: 'POST' }).reply(200, waiting, { headers: jsonHeaders() })
  await t.rejects(client.activateFactor(UID, 'ostf1fmaMGJLMNGNLIVG', { passCode: '123456' }), { code: 'OKTA_INVALID_RESPONSE' })
  for (const odd of [{}, { factorResult: 7 }, { id: 'not an id', factorResult: 'WAITING' }]) {
    pool.intercept({ path: `${F}/lifecycle/activate/poll`, method: 'POST' }).reply(200, odd, { headers: jsonHeaders() })
    await t.rejects(client.pollFactorActivation(UID, 'opfbtzzrjgwauUsxO0g4'), { code: 'OKTA_INVALID_RESPONSE' }, JSON.stringify(odd))
  }
  agent.assertNoPendingInterceptors()
})

void t.test('verify results and push transactions parse as a union on factorResult', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const verifies = [
    'UserFactorVerifySuccessTotpResponse', 'UserFactorChallengeSmsResponse', 'UserFactorChallengeCallResponse',
    'UserFactorChallengeEmailResponse', 'UserFactorVerifySuccessSqResponse', 'UserFactorVerifyPushTransactionRejected',
    'UserFactorVerifyPushTransactionTimeout',
  ]
  for (const name of verifies) {
    pool.intercept({ path: `${FACTORS}/ost1/verify`, method: 'POST' }).reply(200, ex(factorsEx, name), { headers: jsonHeaders() })
    const r = await client.verifyFactor(UID, 'ost1', { passCode: '123456' })
    t.same(r, ex(factorsEx, name), name)
  }
  pool.intercept({ path: `${FACTORS}/opf1/verify`, method: 'POST' }).reply(201, ex(factorsEx, 'UserFactorChallengePushResponse'), { headers: jsonHeaders() })
  // Okta's schema makes factorMessage nullable, and spells a cancelled verification CANCELED: both are in the types.
  pool.intercept({ path: `${FACTORS}/ost1/verify`, method: 'POST' }).reply(200, { factorResult: 'CANCELED', factorMessage: null }, { headers: jsonHeaders() })
  const cancelled: VerifyFactorResult = await client.verifyFactor(UID, 'ost1', { passCode: '123456' })
  const message: string | null | undefined = cancelled.factorMessage
  t.equal(message, null, 'factorMessage: null, as Okta sent it')
  const documented: VerifyFactorResult = { factorResult: 'SUCCESS', factorMessage: null }
  t.equal(documented.factorMessage, null)
  // The other fields Okta's schema makes nullable: a call factor's extension, a push's number challenge.
  const callProfile: NonNullable<CallFactor['profile']> = { phoneNumber: '+15554151337', phoneExtension: null }
  const pushWaiting: VerifyWaiting = { factorResult: 'WAITING', _embedded: { challenge: null } }
  t.equal(callProfile.phoneExtension ?? pushWaiting._embedded?.challenge, null)
  t.equal(cancelled.factorResult === 'CANCELED' ? 'typed' : 'not', 'typed')
  const waiting: VerifyFactorResult = await client.verifyFactor(UID, 'opf1')
  t.equal(waiting.factorResult, 'WAITING')
  if (waiting.factorResult === 'WAITING') t.equal(waiting.expiresAt, '2015-04-01T15:57:32.000Z')
  const tx = pollTransactionId(waiting)
  t.equal(tx, 'mst1eiHghhPxf0yhp0g')
  pool.intercept({ path: `${FACTORS}/opf1/transactions/mst1eiHghhPxf0yhp0g`, method: 'GET' })
    .reply(200, ex(factorsEx, 'UserFactorVerifyPushTransactionApproved'), { headers: jsonHeaders() })
  t.same(await client.getFactorTransaction(UID, 'opf1', tx ?? ''), { factorResult: 'SUCCESS' })
  t.equal(pollTransactionId({ factorResult: 'SUCCESS' }), undefined)
  // A dot-segment, however encoded, is no transaction id (getFactorTransaction would refuse it with a TypeError).
  for (const last of ['%2E%2E', '%2e', '..%3F']) {
    const poll = { factorResult: 'WAITING', _links: { poll: { href: `${ORG}${FACTORS}/opf1/transactions/${last}` } } } as unknown as VerifyFactorResult
    t.equal(pollTransactionId(poll), last === '..%3F' ? '..?' : undefined, `a poll link ending ${last}`)
  }
  agent.assertNoPendingInterceptors()
})

void t.test('users: create with and without credentials, get, and every list example', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const creates: Array<[string, string, string]> = [
    ['create-user-without-credentials-request', 'create-user-without-credentials-response', '/api/v1/users?activate=false'],
    ['create-user-with-password-request', 'create-user-with-password-response', '/api/v1/users?activate=true'],
    ['create-user-with-recovery-question-request', 'create-user-with-recovery-question-response', '/api/v1/users?activate=false'],
    ['create-user-with-password-and-recovery-question-request', 'create-user-with-password-and-recovery-question-response', '/api/v1/users?activate=false'],
  ]
  for (const [req, res, path] of creates) {
    pool.intercept({ path, method: 'POST', body: JSON.stringify(ex(usersEx, req)) }).reply(200, ex(usersEx, res), { headers: jsonHeaders() })
    const user = await client.createUser(ex(usersEx, req) as never, { activate: path.endsWith('true') })
    t.same(user, ex(usersEx, res), res)
  }
  pool.intercept({ path: '/api/v1/users/isaac.brock%40example.com', method: 'GET' }).reply(200, ex(usersEx, 'user-example'), { headers: jsonHeaders() })
  const isaac: OktaUser = await client.getUser('isaac.brock@example.com')
  t.equal(isaac.profile.login, 'isaac.brock@example.com')
  t.same(isaac, ex(usersEx, 'user-example'))

  for (const name of ['ListUsersResponse', 'ListUsersSearchResponse', 'ListUsersFilterResponse', 'ListUsersQResponse', 'ListUsersFieldsResponse']) {
    pool.intercept({ path: '/api/v1/users?limit=200', method: 'GET' }).reply(200, ex(usersEx, name), { headers: jsonHeaders() })
    const got: OktaUser[] = []
    for await (const u of client.listUsers({ limit: 200 })) got.push(u)
    t.same(got, ex(usersEx, name), name)
  }
  agent.assertNoPendingInterceptors()
})

void t.test('listUsers follows Link rel="next" on the org only, lazily, and never loops', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const u = (id: string): Record<string, unknown> => ({ id, status: 'ACTIVE', profile: { login: `${id}@x.io`, email: `${id}@x.io` } })
  const link = (after?: string): string => [
    `<${ORG}/api/v1/users?limit=2>; rel="self"`,
    ...(after === undefined ? [] : [`<${ORG}/api/v1/users?after=${after}&limit=2>; rel="next"`]),
  ].join(', ')
  pool.intercept({ path: '/api/v1/users?limit=2&search=status+eq+%22ACTIVE%22', method: 'GET' })
    .reply(200, [u('a'), u('b')], { headers: { ...jsonHeaders(), link: link('b') } })
  pool.intercept({ path: '/api/v1/users?after=b&limit=2', method: 'GET' }).reply(200, [u('c'), u('d')], { headers: { ...jsonHeaders(), link: link('d') } })
  pool.intercept({ path: '/api/v1/users?after=d&limit=2', method: 'GET' }).reply(200, [u('e')], { headers: { ...jsonHeaders(), link: link() } })
  const ids: string[] = []
  for await (const user of client.listUsers({ limit: 2, search: 'status eq "ACTIVE"' })) ids.push(user.id)
  t.same(ids, ['a', 'b', 'c', 'd', 'e'])
  agent.assertNoPendingInterceptors()

  // Breaking out early fetches no further page (a pending interceptor would remain otherwise... none defined: net connect is off).
  pool.intercept({ path: '/api/v1/users?limit=2', method: 'GET' }).reply(200, [u('a'), u('b')], { headers: { ...jsonHeaders(), link: link('b') } })
  for await (const user of client.listUsers({ limit: 2 })) { t.equal(user.id, 'a'); break }
  agent.assertNoPendingInterceptors()

  // A next link to another origin is refused: the token would go with it.
  pool.intercept({ path: '/api/v1/users', method: 'GET' })
    .reply(200, [u('a')], { headers: { ...jsonHeaders(), link: '<https://evil.example.com/api/v1/users?after=a>; rel="next"' } })
  const evil = async (): Promise<void> => { for await (const _ of client.listUsers()) { /* drain */ } }
  await t.rejects(evil(), { code: 'OKTA_INVALID_RESPONSE', message: /another origin/ })
  // A next link on the org but to another resource is refused too: a list's next page is the same list.
  for (const elsewhere of [`${ORG}/api/v1/users/00u1/factors`, `${ORG}/api/v1/groups/00g1/users?after=a`, `${ORG}/api/v1/users/?after=a`, '/api/v1/users/../apps?after=a']) {
    pool.intercept({ path: '/api/v1/users', method: 'GET' })
      .reply(200, [u('a')], { headers: { ...jsonHeaders(), link: `<${elsewhere}>; rel="next"` } })
    await t.rejects(evil(), { code: 'OKTA_INVALID_RESPONSE', message: /another path/ }, elsewhere)
  }
  // The same list written another way is the same list: relative, with the default port, the host in capitals.
  const upper = `https://${new URL(ORG).host.toUpperCase()}`
  for (const [i, same] of ['/api/v1/users?after=a0', `${ORG}:443/api/v1/users?after=a1`, `${upper}/api/v1/users?after=a2`].entries()) {
    pool.intercept({ path: '/api/v1/users', method: 'GET' }).reply(200, [u('a')], { headers: { ...jsonHeaders(), link: `<${same}>; rel="next"` } })
    pool.intercept({ path: `/api/v1/users?after=a${i}`, method: 'GET' }).reply(200, [u('b')], { headers: jsonHeaders() })
    const ids: string[] = []
    for await (const user of client.listUsers()) ids.push(user.id)
    t.same(ids, ['a', 'b'], `${same}: followed`)
  }
  // A next link back to a page already read ends with an error instead of looping.
  pool.intercept({ path: '/api/v1/users?limit=2', method: 'GET' })
    .reply(200, [u('a')], { headers: { ...jsonHeaders(), link: `<${ORG}/api/v1/users?limit=2>; rel="next"` } })
  const loop = async (): Promise<void> => { for await (const _ of client.listUsers({ limit: 2 })) { /* drain */ } }
  await t.rejects(loop(), { code: 'OKTA_INVALID_RESPONSE', message: /already read/ })
  // The same page behind a new #fragment each time: a fragment is never sent, so it is the same page.
  let fragments = 0
  pool.intercept({ path: '/api/v1/users?limit=1', method: 'GET' })
    .reply(() => ({ statusCode: 200, data: JSON.stringify([u('a')]), responseOptions: { headers: { ...jsonHeaders(), link: `<${ORG}/api/v1/users?limit=1#p${++fragments}>; rel="next"` } } }))
  const fragmentLoop = async (): Promise<number> => { let n = 0; for await (const _ of client.listUsers({ limit: 1 })) { if (++n > 3) break } return n }
  await t.rejects(fragmentLoop(), { code: 'OKTA_INVALID_RESPONSE', message: /already read/ }, 'a fragment does not make a page new')
  t.equal(fragments, 1, 'refused at the first repeat')
  pool.intercept({ path: '/api/v1/users?limit=1', method: 'GET' }).reply(200, [u('a')], { headers: { ...jsonHeaders(), link: `<${ORG}/api/v1/users?limit=1&after=a#top>; rel="next"` } })
  pool.intercept({ path: '/api/v1/users?limit=1&after=a', method: 'GET' }).reply(200, [u('b')], { headers: jsonHeaders() })
  const followed: string[] = []
  for await (const user of client.listUsers({ limit: 1 })) followed.push(user.id)
  t.same(followed, ['a', 'b'], 'a next link with a fragment to a new page is followed, without the fragment')
  agent.assertNoPendingInterceptors()

  // Empty pages, each with a next link to a new cursor: never a page already read, so only a bound ends them. Nine
  // empty pages then a user are followed (a run of empty pages is not refused as such).
  let served = 0
  const endless = (usersUntil: number) => () => {
    served++
    const page = served <= usersUntil ? [] : [u(`u${served}`)]
    return { statusCode: 200, data: JSON.stringify(page), responseOptions: { headers: { ...jsonHeaders(), link: link(`c${served}`) } } }
  }
  pool.intercept({ path: (p: string) => p.startsWith('/api/v1/users?'), method: 'GET' }).reply(endless(9)).times(10)
  const first: string[] = []
  for await (const user of client.listUsers({ limit: 3 })) { first.push(user.id); break }
  t.same([first, served], [['u10'], 10], 'a user after nine empty pages is found')
  served = 0
  pool.intercept({ path: (p: string) => p.startsWith('/api/v1/users?'), method: 'GET' }).reply(endless(Infinity)).persist()
  const empty = async (): Promise<void> => { for await (const _ of client.listUsers({ limit: 2 })) { /* drain */ } }
  await t.rejects(empty(), { code: 'OKTA_INVALID_RESPONSE', message: 'Okta sent 10 empty pages in a row, each with a Link rel="next"; not following more' })
  t.equal(served, 10, 'ten pages asked for, then no more')
})

void t.test('Link header parsing', async (t) => {
  const header = '<https://o.okta.com/api/v1/users?limit=2>; rel="self", <https://o.okta.com/api/v1/users?after=00u2%2C3&limit=2>; rel="next"'
  t.same(parseLinkHeader(header).map((l) => l.rel), [['self'], ['next']])
  t.equal(nextLink(header), 'https://o.okta.com/api/v1/users?after=00u2%2C3&limit=2')
  t.equal(nextLink([`<https://o/a>; rel="self"`, `<https://o/b>; rel=next`]), 'https://o/b', 'several headers, unquoted rel')
  t.equal(nextLink('<https://o/a>; rel="self", <https://o/b>; REL="Next"'), 'https://o/b', 'relation types are case-insensitive (RFC 8288 §2.1.1)')
  t.equal(nextLink('<https://o/a>; rel="self"'), undefined)
  t.equal(nextLink(undefined), undefined)
  t.same(parseLinkHeader('garbage, <>; rel="next"'), [{ url: '', rel: ['next'], params: { rel: 'next' } }])
  // A parameter given twice: the first counts (RFC 8288 §3.3), so a later rel cannot hide the next page.
  t.equal(nextLink('<https://o/n>; rel="next"; rel="self"'), 'https://o/n')
  t.same(parseLinkHeader('<https://o/a>; rel=self; REL=next; title="one"; title="two"')[0]?.params, { rel: 'self', title: 'one' })
  // A quoted parameter may hold `,` and `;` (RFC 8288): the rel after it is still read, and the value kept whole.
  t.equal(nextLink('<https://o/api/v1/users?after=00u2&limit=1>; title="page 2, of 3"; rel="next"'), 'https://o/api/v1/users?after=00u2&limit=1')
  t.same(parseLinkHeader('<https://o/a>; title="a;b"; rel="self next", <https://o/b>; rel=prev; crossorigin; y="q\\"z"'), [
    { url: 'https://o/a', rel: ['self', 'next'], params: { title: 'a;b', rel: 'self next' } },
    { url: 'https://o/b', rel: ['prev'], params: { rel: 'prev', y: 'q"z' } },
  ])
})

void t.test('Okta error examples map to their classes', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const cases: Array<[Examples, string, number, string]> = [
    [factorsEx, 'ErrorAccessDenied', 403, 'OKTA_AUTHENTICATION'],
    [factorsEx, 'ErrorApiValidationFailed', 400, 'OKTA_VALIDATION'],
    [factorsEx, 'ErrorResourceNotFound', 404, 'OKTA_NOT_FOUND'],
    [factorsEx, 'ErrorTooManyRequests', 429, 'OKTA_RATE_LIMITED'],
    [usersEx, 'ErrorMissingRequiredParameter', 400, 'OKTA_VALIDATION'],
    [usersEx, 'ErrorCreateUserWithExpiredPasswordWithNullPassword', 400, 'OKTA_VALIDATION'],
  ]
  for (const [set, name, status] of cases) {
    pool.intercept({ path: '/api/v1/users', method: 'POST' }).reply(status, ex(set, name), { headers: jsonHeaders() })
  }
  for (const [set, name, status, code] of cases) {
    const body = ex(set, name)
    await t.rejects(client.createUser({ profile: { login: 'a@b.c', email: 'a@b.c' } }), {
      code, status, errorCode: body['errorCode'], errorSummary: body['errorSummary'], errorId: body['errorId'],
    }, name)
  }
  agent.assertNoPendingInterceptors()
})

void t.test("Okta's text is only ever data: an error code named like Object's members, a deep cause, a hostile Link header", async (t) => {
  const { agent, pool, client } = mockOrg(t)
  // Every name Object.prototype has, as Okta's errorCode, on a 4xx and a 5xx: the class of the status, coded.
  const names = Object.getOwnPropertyNames(Object.prototype)
  for (const errorCode of names) {
    pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(403, { errorCode, errorSummary: 's' }, { headers: jsonHeaders() })
    pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(500, { errorCode, errorSummary: 's' }, { headers: jsonHeaders() })
  }
  for (const errorCode of names) {
    await t.rejects(client.getUser('00u1'), { name: 'OktaApiError', code: 'OKTA_API_ERROR', status: 403, errorCode }, `403 ${errorCode}`)
    await t.rejects(client.getUser('00u1'), { name: 'OktaApiError', code: 'OKTA_API_ERROR', status: 500, errorCode }, `500 ${errorCode}`)
  }
  // A cause nested 100 000 levels deep (400 KB, under the body cap): the error keeps its string fields only.
  const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`
  pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' })
    .reply(400, `{"errorCode":"E0000001","errorSummary":"bad","errorCauses":[{"errorSummary":"why","reason":"r","deep":${deep}}]}`, { headers: jsonHeaders() })
  const err = await client.getUser('00u1').catch((e: unknown) => e) as Error & { errorCauses: unknown }
  t.same(err.errorCauses, [{ errorSummary: 'why', reason: 'r' }])
  t.doesNotThrow(() => JSON.stringify(err), 'toJSON() can be logged')
  agent.assertNoPendingInterceptors()
  // Linear in the header's size: a megabyte of `<` without a `>` (quadratic would not end within the test's time).
  t.same(parseLinkHeader('<'.repeat(1 << 20)), [])
  t.same(parseLinkHeader(`${'<a'.repeat(1 << 19)}<https://o/n>; rel="next"`).map((l) => l.url), ['https://o/n'])
  // And in its parameters: quotes that never close, escapes, empty parameters, each a megabyte.
  for (const unit of ['<a>; x="', '<a>; x="\\\\', '<a>;;;;', '<a>; x=" ;']) {
    t.equal(nextLink([unit.repeat((1 << 20) / unit.length), '<https://o/n>; rel="next"']), 'https://o/n', `a megabyte of ${unit}`)
  }
})

void t.test("activateUser with sendEmail: false: Okta's answer without its activation link is an invalid response that quotes no token", async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const path = `/api/v1/users/${UID}/lifecycle/activate?sendEmail=false`
  const bodies = [{}, { activationToken: 'tok-secret-1' }, { activationUrl: 'https://x/tokens/tok-secret-2/verify' }, { activationUrl: 5, activationToken: 'tok-secret-3' }, [], null]
  for (const body of bodies) pool.intercept({ path, method: 'POST' }).reply(200, body as object, { headers: jsonHeaders() })
  for (const body of bodies) {
    const err = await client.activateUser(UID, { sendEmail: false }).then(() => undefined, (e: unknown) => e as Error)
    t.match(err, { code: 'OKTA_INVALID_RESPONSE', status: 200, message: /not an activation token/ }, JSON.stringify(body))
    t.notMatch(`${err?.message} ${JSON.stringify(err)}`, /tok-secret/, 'no token quoted')
  }
  agent.assertNoPendingInterceptors()
})

void t.test('an id that cannot be an Okta id, in a user or a factor Okta answered, is an invalid response, not a path or a session value', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const bad = ['', '.', '..', 'a/b', '00u 1', '00u%2F', 'x'.repeat(501), 5]
  for (const id of bad) {
    pool.intercept({ path: '/api/v1/users/ada', method: 'GET' }).reply(200, { id, profile: { login: 'ada' } }, { headers: jsonHeaders() })
    pool.intercept({ path: `${FACTORS}`, method: 'GET' }).reply(200, [{ id, factorType: 'token:software:totp', status: 'ACTIVE' }], { headers: jsonHeaders() })
  }
  for (const id of bad) {
    await t.rejects(client.getUser('ada'), { code: 'OKTA_INVALID_RESPONSE', status: 200 }, `user id ${JSON.stringify(id).slice(0, 12)}`)
    await t.rejects(client.listFactors(UID), { code: 'OKTA_INVALID_RESPONSE', status: 200 }, `factor id ${JSON.stringify(id).slice(0, 12)}`)
  }
  // Okta's ids, and the longest taken.
  for (const id of ['00u15s1KDETTQMQYABRL', 'ostf1fmaMGJLMNGNLIVG', 'seeded.id~1', 'a-b_C'.padEnd(500, '0')]) {
    pool.intercept({ path: '/api/v1/users/ada', method: 'GET' }).reply(200, { id, profile: { login: 'ada' } }, { headers: jsonHeaders() })
    t.equal((await client.getUser('ada')).id, id)
  }
  agent.assertNoPendingInterceptors()
})
