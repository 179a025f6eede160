// Not a benchmark (run.ts skips it): the MFA core's own CPU per verify, in one process, with no network. The same
// steps as the gateway's verify (revocation check, subject, checkPasscode with the attempt limiter and the end user's
// context, the recorded step) over a get/set session, with a stand-in Okta client that answers SUCCESS at once; what
// remains is the core's work alone. 50 verifies in flight, as in the HTTP benches.
//   node bench/dist/core-micro.js [--verifies N]
import * as core from '@okta-mfa/core'

const FACTOR_ID = 'ostbench000000000001'
const user = { id: 'bench', oktaUserId: '00ubench000000000001' }
const oktaUser = { id: user.oktaUserId, status: 'ACTIVE', profile: { login: 'bench@example.com' } }
const client = {
  verifyFactor: async () => ({ factorResult: 'SUCCESS' as const }),
  getUser: async () => oktaUser,
  createUser: async () => oktaUser,
  listFactors: async () => [],
} as unknown as core.MfaOktaClient

class Session {
  readonly #data: Record<string, unknown>
  constructor (data: Record<string, unknown>) { this.#data = { ...data } }
  get (key: string): unknown { return this.#data[key] }
  set (key: string, value: unknown): void { this.#data[key] = value }
}

// A signed-in session as the bench's login leaves it (the user and the session's identity).
const login = { session: new Session({ user }) as Session, headers: {} }
core.startSession(login, { user })
const signedIn = { user, oktaMfaSession: login.session.get(core.SESSION_IDENTITY_KEY) }

const limiter = new core.AttemptLimiter({ maxAttempts: 1_000_000_000 })
const revocations = new core.MemoryRevocationStore()
const headers = { 'user-agent': 'autocannon', 'accept-language': 'en' }

async function verify (i: number): Promise<void> {
  const request = { id: `req-${i}`, ip: '127.0.0.1', headers, session: new Session(signedIn) }
  if (await core.isSessionRevoked(request, revocations, { user })) throw new Error('revoked')
  const subject = new core.MfaSubject({
    session: request, user, userKey: core.userKeyOf(user), request, client, resolveOktaUser: (u) => ({ id: (u as typeof user).oktaUserId }),
    deadline: new core.RequestDeadline(5000, request.id),
  })
  const result = await core.checkPasscode({ subject, client, limiter, passCode: '123456', factorId: FACTOR_ID, context: core.endUserContext(request), trustFactorId: true })
  if (!result.ok) throw result.error
  core.recordMfa(request, { user, factorId: result.factor.id, method: 'graphql' })
}

async function round (n: number): Promise<number> {
  const before = process.cpuUsage()
  await Promise.all(Array.from({ length: 50 }, async (_, w) => { for (let i = w; i < n; i += 50) await verify(i) }))
  const cpu = process.cpuUsage(before)
  return (cpu.user + cpu.system) / n
}

const at = process.argv.indexOf('--verifies')
const n = at === -1 ? 200_000 : Number(process.argv[at + 1])
await round(n) // warm-up
const figures: number[] = []
for (let k = 0; k < 3; k++) figures.push(await round(n))
console.log(`MFA core, in-process, stand-in client: ${figures.map((f) => f.toFixed(2)).join(', ')} µs CPU per verify`)
