// Okta's own Postman collections, "Users (Okta API)" and "Factors (Okta API)" (test/fixtures/okta), run
// against the emulator with newman's Node API, request by request in an order that makes each one
// meaningful, with the collection variables (url, apikey, userId, factorId, …) captured as a person would.
// The collections carry no test scripts (one exception, kept and checked), so the status Okta documents
// for each request is written here, per request name. Requests that need hardware, a third-party
// integration or another Okta API are in LEFT_OUT (and in the emulator README); every other request of
// both collections must appear in the steps, so a request added upstream fails this test until handled.
// The collections send fixed passcodes (a real org's codes of the day): those bodies get a {{passCode}}
// variable filled with the emulator's current code; the security-question verify runs as written (a wrong
// answer: 403) and again with the enrolled answer. Three requests write `SSWS{{apikey}}` without the space:
// they run as written (401 E0000011, Okta's answer to a malformed token) and again with the space.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import newman from 'newman'
import { withEmulator, type TestEmulator } from '../helpers/emulator.js'

interface PmItem { name: string, item?: PmItem[], request?: { body?: { mode?: string, raw?: string } }, event?: unknown[] }
interface PmCollection { info: object, item: PmItem[] }

const load = async (name: string): Promise<PmCollection> =>
  JSON.parse(await readFile(new URL(`../fixtures/okta/${name}`, import.meta.url), 'utf8')) as PmCollection
const collections = { users: await load('postman-users-okta-api.json'), factors: await load('postman-factors-okta-api.json') }

function flatten (items: PmItem[]): PmItem[] {
  return items.flatMap((i) => i.item === undefined ? [i] : flatten(i.item))
}

/** Requests not run, and why (the emulator README lists the same). */
const LEFT_OUT: Record<string, string> = {
  'Create User in Group': 'needs the Groups API (a group id to put the user in)',
  'Enroll Symantec VIP Token Factor': 'a Symantec VIP hardware token and Symantec integration',
  'Enroll RSA SecurID  Factor': 'an RSA SecurID token and RSA server integration',
  'Enroll YubiKey Factor': 'YubiKey hardware',
  'Verify Token Factor': 'a hardware token factor (Symantec, RSA) enrolled',
}

interface Answer { status: number, body: any }
interface Step {
  collection: 'users' | 'factors'
  name: string
  /** Status Okta documents for this request in this situation. */
  status: number
  /** Variables to set before the request (computed at run time). */
  vars?: () => Record<string, string>
  /** Send the body with its literal passcode/answer replaced by {{passCode}} / {{answer}}. */
  substitute?: boolean
  /** Send `SSWS {{apikey}}` where the collection writes `SSWS{{apikey}}` (no space: three requests of the collections). */
  fixAuth?: boolean
  /** Extra checks and captures on the answer. */
  then?: (a: Answer) => void
}

const state: Record<string, string> = {}

function steps (emu: TestEmulator): Step[] {
  const users = (name: string, status: number, more: Partial<Step> = {}): Step => ({ collection: 'users', name, status, ...more })
  const factors = (name: string, status: number, more: Partial<Step> = {}): Step => ({ collection: 'factors', name, status, ...more })
  let n = 0
  // Every create sends isaac@{{email-suffix}}: a fresh suffix per create keeps the logins unique.
  const create = (name: string, wantStatus: string, keep?: string): Step => users(name, 200, {
    vars: () => ({ 'email-suffix': `c${++n}.example.com` }),
    then: (a) => {
      t.equal(a.body.status, wantStatus, `${name}: ${wantStatus}`)
      if (keep !== undefined) state[keep] = a.body.id
    },
  })
  const on = (key: string, extra: Record<string, string> = {}) => () => ({ userId: state[key]!, ...extra })
  const code = (factorKey: string) => () => ({ userId: state['mfaUser']!, factorId: state[factorKey]!, passCode: emu.lastMessage({ factorId: state[factorKey]! })!.code })
  const totp = (factorKey: string) => () => ({ userId: state['mfaUser']!, factorId: state[factorKey]!, passCode: emu.totpCode(state[factorKey]!) })
  const factor = (key: string) => () => ({ userId: state['mfaUser']!, factorId: state[key]! })
  const keepFactor = (key: string, status: string) => (a: Answer) => {
    t.equal(a.body.status, status)
    state[key] = a.body.id
  }
  return [
    create('Create User with Password & Recovery Question', 'STAGED'),
    create('Create Activated User with Password & Recovery Question', 'ACTIVE', 'active'),
    create('Create User without Credentials', 'STAGED', 'staged'),
    create('Create Activated User without Credentials', 'PROVISIONED', 'provisioned'),
    create('Create User with Password', 'STAGED'),
    create('Create Activated User with Password', 'ACTIVE', 'mfaUser'),
    create('Create User with Recovery Question', 'STAGED'),
    create('Create Activated User with Recovery Question', 'PROVISIONED', 'doomed'),
    create('Create User with Non-Default User Type', 'STAGED'),

    // Credential operations on the ACTIVE user whose password is {{password}}.
    users('Set Password', 200, { vars: on('active') }),
    users('Change Password', 200, { vars: on('active'), then: (a) => t.same(a.body.password, {}, 'credentials, never the password') }),
    users('Change Recovery Question', 200, {
      vars: on('active', { password: 'uTVM,TPw55' }),
      then: (a) => t.equal(a.body.recovery_question.question, 'What happens when I update my question'),
    }),
    // The collection's answer ("Annie Oakley") is no longer the answer: 403 E0000087, as Okta documents.
    users('Forgot Password (Validate Security Answer)', 403, { vars: on('active'), then: (a) => t.equal(a.body.errorCode, 'E0000087') }),
    users('Set Recovery Credential', 200, { vars: on('active') }),
    users('Forgot Password (Validate Security Answer)', 200, { vars: on('active', { password: 'Fr3sh-Passw0rd' }) }),
    users('Forgot Password (One Time Code)', 200, { vars: on('active'), then: (a) => t.match(a.body.resetPasswordUrl, /^http:\/\/127\.0\.0\.1:\d+\//) }),

    // Lifecycle, each from a status Okta allows it in.
    users('Activate User', 200, { vars: on('staged'), then: (a) => t.type(a.body.activationToken, 'string') }),
    users('Expire Password', 200, { vars: on('active'), then: (a) => t.equal(a.body.status, 'PASSWORD_EXPIRED') }),
    users('Set Temp Password', 200, { vars: on('active'), then: (a) => t.type(a.body.tempPassword, 'string') }),
    users('Reset Password', 200, { vars: on('active'), then: (a) => t.type(a.body.resetPasswordUrl, 'string') }),
    users('Set Password', 200, { vars: on('active'), then: (a) => t.equal(a.body.status, 'ACTIVE', 'an admin-set password ends the reset') }),
    users('Suspend User', 200, { vars: on('active') }),
    users('Suspend User', 400, { vars: on('active'), then: (a) => t.equal(a.body.errorCode, 'E0000001', 'a SUSPENDED user cannot be suspended') }),
    users('Unsuspend User', 200, { vars: on('active') }),
    users('Unsuspend User', 400, { vars: on('active'), then: (a) => t.equal(a.body.errorCode, 'E0000001', 'an ACTIVE user cannot be unsuspended') }),
    users('Unlock User', 200, { vars: on('active') }),
    users('Activate User', 403, { vars: on('active'), then: (a) => t.equal(a.body.errorCode, 'E0000016') }),
    users('Deactivate User', 200, { vars: on('doomed') }),
    users('Delete User', 204, { vars: on('doomed') }),
    users('Get User', 404, { vars: on('doomed'), then: (a) => t.equal(a.body.errorCode, 'E0000007', 'deleted') }),

    users('List Users', 200, { then: (a) => t.ok(a.body.length >= 8) }),
    users('List Users with Search', 200),
    users('List Users Updated after Timestamp', 200, { then: (a) => t.ok(a.body.length >= 2) }),
    users('List Active Users', 200, { then: (a) => t.ok(a.body.every((u: { status: string }) => u.status === 'ACTIVE')) }),
    users('List Provisioned Users', 200, { then: (a) => t.ok(a.body.some((u: { id: string }) => u.id === state['provisioned'])) }),
    users('List Staged Users', 200, { then: (a) => t.ok(a.body.length >= 4) }),
    users('List Recovery Users', 200),
    users('List Deprovisioned Users', 200),
    users('List Password Expired Users', 200),
    users('List Locked Users', 200),
    users('Reset Factors', 401, { vars: on('active'), then: (a) => t.equal(a.body.errorCode, 'E0000011', 'SSWS{{apikey}} without a space') }),
    users('Reset Factors', 200, { vars: on('active'), fixAuth: true, then: (a) => t.same(a.body, {}) }),
    users('Get User', 200, { vars: on('provisioned'), then: (a) => t.equal(a.body.id, state['provisioned']) }),
    users('Get Current User', 200, { then: (a) => t.equal(a.body.status, 'ACTIVE', 'the token owner') }),
    users('Get Assigned App Links', 200, { vars: on('provisioned'), then: (a) => t.same(a.body, []) }),
    users('Get Groups for User', 200, { vars: on('provisioned'), then: (a) => t.same(a.body, [], 'no groups') }),
    users('Find User', 200),
    users('Clear User Sessions', 204, { vars: on('provisioned') }),

    // Factors, for the ACTIVE user "Create Activated User with Password" made.
    factors('Enroll Okta Security Question Factor', 200, { vars: on('mfaUser'), then: keepFactor('question', 'ACTIVE') }),
    factors('Verify Question Factor', 403, {
      vars: factor('question'),
      then: (a) => t.same([a.body.errorCode, a.body.errorCauses], ['E0000068', [{ errorSummary: "Your answer doesn't match our records. Please try again." }]]),
    }),
    factors('Verify Question Factor', 200, { vars: () => ({ ...factor('question')(), answer: 'mayonnaise' }), substitute: true }),
    // {{phoneNumber}} is the collection user's; the next request's new number is written in it (+1-555-415-1337).
    factors('Enroll Okta SMS Factor', 200, { vars: on('mfaUser', { phoneNumber: '+1-555-415-1300' }), then: keepFactor('sms', 'PENDING_ACTIVATION') }),
    factors('Enroll Okta SMS Factor with New Number', 200, { vars: on('mfaUser'), then: (a) => t.equal(a.body.id, state['sms'], 'the same factor, new number') }),
    factors('Activate SMS Factor', 200, { vars: code('sms'), substitute: true, then: (a) => t.equal(a.body.status, 'ACTIVE') }),
    factors('Send SMS Challenge', 200, { vars: factor('sms'), then: (a) => t.equal(a.body.factorResult, 'CHALLENGE') }),
    factors('Verify SMS Factor', 200, { vars: code('sms'), substitute: true, then: (a) => t.equal(a.body.factorResult, 'SUCCESS') }),
    factors('Enroll Okta Verify TOTP Factor', 200, { vars: on('mfaUser'), then: keepFactor('totp', 'PENDING_ACTIVATION') }),
    factors('Activate TOTP Factor', 200, { vars: totp('totp'), substitute: true, then: () => emu.clock.advance(30_000) }),
    factors('Verify TOTP Factor', 200, { vars: totp('totp'), substitute: true, then: (a) => t.equal(a.body.factorResult, 'SUCCESS') }),
    factors('Enroll Google Authenticator Factor', 200, { vars: on('mfaUser'), then: keepFactor('google', 'PENDING_ACTIVATION') }),
    factors('Enroll Okta Verify Push Factor', 200, { vars: on('mfaUser'), then: (a) => { keepFactor('push', 'PENDING_ACTIVATION')(a); emu.activatePush(a.body.id) } }),
    factors('Send Push  Challenge', 201, {
      vars: factor('push'),
      then: (a) => { state['transaction'] = String(a.body._links.poll.href).split('/').pop()! },
    }),
    factors('Verify Push  Factor', 200, { vars: () => ({ ...factor('push')(), transactionId: state['transaction']! }), then: (a) => t.equal(a.body.factorResult, 'WAITING') }),
    factors('Get Factor', 200, { vars: factor('google'), then: (a) => t.same(Object.keys(a.body._links).sort(), ['next', 'self', 'user']) }),
    factors('List Factors to Enroll', 200, { vars: on('mfaUser') }),
    factors('List Factors', 200, { vars: on('mfaUser'), then: (a) => t.equal(a.body.length, 5) }),
    factors('List Security Questions', 200, { vars: on('mfaUser') }),
    // These two write `SSWS{{apikey}}` without the space: the documented answer to a malformed token is 401 E0000011.
    factors('Delete Factor', 401, { vars: factor('google'), then: (a) => t.equal(a.body.errorCode, 'E0000011') }),
    factors('Delete Factor', 204, { vars: factor('google'), fixAuth: true }),
    factors('Reset All Factors', 401, { vars: on('mfaUser') }),
    factors('Reset All Factors', 200, { vars: on('mfaUser'), fixAuth: true }),
    factors('List Factors', 200, { vars: on('mfaUser'), then: (a) => t.same(a.body, []) }),
  ]
}

/** One request of a collection as a one-item collection, with literal codes turned into variables when asked. */
function single (collection: PmCollection, name: string, substitute: boolean, fixAuth: boolean): PmCollection {
  const item = flatten(collection.item).find((i) => i.name === name)
  if (item === undefined) throw new Error(`no request named ${name}`)
  const copy = JSON.parse(JSON.stringify(item)) as PmItem
  if (substitute && copy.request?.body?.raw !== undefined) {
    copy.request.body.raw = copy.request.body.raw
      .replace(/"passCode": "[^"]*"/, '"passCode": "{{passCode}}"')
      .replace(/"answer": "[^"]*"/, '"answer": "{{answer}}"')
  }
  if (fixAuth) {
    for (const h of (copy.request as { header?: Array<{ key: string, value: string }> }).header ?? []) {
      if (h.key === 'Authorization') h.value = h.value.replace(/^SSWS(?=\S)/, 'SSWS ')
    }
  }
  return { info: collection.info, item: [copy] }
}

async function runOne (collection: PmCollection, vars: Record<string, string>): Promise<{ answer: Answer, failedAssertions: string[] }> {
  let answer: Answer | undefined
  const failedAssertions: string[] = []
  await new Promise<void>((resolve, reject) => {
    newman.run({ collection, envVar: Object.entries(vars).map(([key, value]) => ({ key, value })), reporters: [] }, (err) => err === null ? resolve() : reject(err))
      .on('request', (err, args) => {
        if (err !== null || args.response === undefined) return
        const text = args.response.stream?.toString('utf8') ?? ''
        answer = { status: args.response.code, body: text === '' ? undefined : JSON.parse(text) }
      })
      .on('assertion', (err, args) => { if (err !== null) failedAssertions.push(args.assertion) })
  })
  if (answer === undefined) throw new Error('newman sent no request')
  return { answer, failedAssertions }
}

await t.test("Okta's Postman collections against the emulator", async (t) => {
  const emu = await withEmulator(t)
  const base = { url: emu.url, apikey: emu.token, password: 'Sup3r-Secret1' }
  const plan = steps(emu)

  const applicable = [...flatten(collections.users.item), ...flatten(collections.factors.item)].map((i) => i.name).filter((n) => LEFT_OUT[n] === undefined)
  t.same(applicable.filter((n) => !plan.some((s) => s.name === n)), [], 'every applicable request of both collections is run')
  t.same(Object.keys(LEFT_OUT).filter((n) => !applicable.includes(n) && ![...flatten(collections.users.item), ...flatten(collections.factors.item)].some((i) => i.name === n)), [],
    'every left-out name is a request of the collections')

  for (const step of plan) {
    const vars = { ...base, ...(step.vars?.() ?? {}) }
    const { answer, failedAssertions } = await runOne(single(collections[step.collection], step.name, step.substitute === true, step.fixAuth === true), vars)
    t.equal(answer.status, step.status, `${step.name}: ${step.status}${answer.status === step.status ? '' : ` (${JSON.stringify(answer.body)})`}`)
    t.same(failedAssertions, [], `${step.name}: the collection's own test script passes`)
    step.then?.(answer)
  }
})
