// Starts the standalone gateway (buildGatewayServer) on a random loopback port in front of an emulator, with
// test-only routes a real app would own: a login that puts a user in the session and a page guarded by requireMfa.
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { buildGatewayServer, loadServerConfig, type OktaMfaGatewayOptions } from '@okta-mfa/gateway'
import { requireMfaFastify } from 'passport-okta-mfa'
import { revokeSession } from '@okta-mfa/core'
import { CookieJar, type JarResponse } from './http.js'
import type { TestEmulator } from './emulator.js'

/** The secure-session of a request, typed loosely (no global SessionData augmentation from a test helper). */
function sessionOf (request: FastifyRequest): { get: (key: string) => unknown, set: (key: string, value: unknown) => void } {
  return (request as unknown as { session: { get: (key: string) => unknown, set: (key: string, value: unknown) => void } }).session
}

/** A running gateway for one test. */
export interface GatewayTestApp {
  url: string
  /** A fresh browser-like cookie jar against the gateway. */
  jar: () => CookieJar
  /** A jar whose session is signed in as `login` (the app user `{ id: login, login }`). */
  signedIn: (login: string) => Promise<CookieJar>
  /** A session whose user is `user` as given (an app's user object, without an `id` for instance). */
  signedInAs: (user: Record<string, unknown>) => Promise<CookieJar>
  close: () => Promise<void>
}

/** The GraphQL response of {@link gql}. */
export interface GqlResponse {
  status: number
  headers: JarResponse['headers']
  body: { data: any, errors?: Array<{ message: string, path?: string[], extensions: { code: string, requestId?: string, retryAfterSeconds?: number, field?: string, attemptsRemaining?: number } }> }
}

/** Posts one GraphQL request as JSON. */
export async function gql (jar: CookieJar, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResponse> {
  const res = await jar.fetch('/graphql', { json: variables === undefined ? { query } : { query, variables }, ...(headers === undefined ? {} : { headers }) })
  return { status: res.status, headers: res.headers, body: res.json() }
}

/** The code of the first error of a response. */
export function codeOf (res: GqlResponse): string | undefined {
  return res.body.errors?.[0]?.extensions.code
}

interface Options {
  /** Plugin options beside the server's own. */
  gateway?: Partial<OktaMfaGatewayOptions>
  /** Environment overrides (OKTA_ORG_URL, OKTA_TIMEOUT_MS, LOG_LEVEL, ...). */
  env?: Record<string, string>
  logStream?: NodeJS.WritableStream
}

/** Builds the gateway server against `emu` (or the env's OKTA_ORG_URL), adds the test routes, listens, tears down with `t`. */
export async function startGatewayApp (t: { teardown: (fn: () => unknown) => void }, emu: TestEmulator | undefined, opts: Options = {}): Promise<GatewayTestApp> {
  const config = loadServerConfig({
    OKTA_ORG_URL: emu?.url ?? 'http://127.0.0.1:9',
    OKTA_API_TOKEN: emu?.token ?? 'test-token',
    OKTA_ALLOW_INSECURE_HTTP: 'true',
    SESSION_KEY: randomBytes(32).toString('hex'),
    SESSION_COOKIE_SECURE: 'false',
    LOG_LEVEL: opts.logStream === undefined ? 'silent' : 'trace',
    ...opts.env,
  })
  const clock = emu?.clock.now ?? Date.now
  const app = await buildGatewayServer(config, {
    ...(opts.logStream === undefined ? {} : { logStream: opts.logStream }),
    gateway: { clock, ...opts.gateway },
  })
  app.post('/test/login', async (request: FastifyRequest<{ Body: { login: string, user?: Record<string, unknown> } }>) => {
    sessionOf(request).set('user', request.body.user ?? { id: request.body.login, login: request.body.login })
    return { ok: true }
  })
  // What the app's logout does: revoke the session (with `gateway.revocations`), then clear it.
  const revocations = opts.gateway?.revocations
  app.post('/test/logout', async (request: FastifyRequest) => {
    if (revocations !== undefined) await revokeSession(request as never, revocations)
    sessionOf(request).set('user', undefined)
    return { ok: true }
  })
  // What @fastify/passport would do: the session's user as request.user, which requireMfa reads.
  const asPassport = async (request: FastifyRequest): Promise<void> => {
    (request as unknown as { user?: unknown }).user = sessionOf(request).get('user') ?? undefined
  }
  app.get('/protected', { preHandler: [asPassport, requireMfaFastify({ clock, revocations })] }, async (_request: FastifyRequest, reply: FastifyReply) => {
    return await reply.send({ secret: 'the protected page' })
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
  }
  t.teardown(close)
  return {
    url,
    jar: () => new CookieJar(url),
    async signedIn (login: string) {
      const jar = new CookieJar(url)
      const res = await jar.fetch('/test/login', { json: { login } })
      if (res.status !== 200) throw new Error(`test login failed: ${res.status}`)
      return jar
    },
    async signedInAs (user: Record<string, unknown>) {
      const jar = new CookieJar(url)
      const res = await jar.fetch('/test/login', { json: { login: '', user } })
      if (res.status !== 200) throw new Error(`test login failed: ${res.status}`)
      return jar
    },
    close,
  }
}

/** The operations a sign-in screen sends, as the gateway tests send them. */
export const OPS = {
  viewer: 'query Viewer { viewer { userKey login mfa { completed completedAt factorId method fresh } } }',
  factors: 'query Factors { factors { id factorType oktaFactorType provider status phoneNumber email } }',
  catalog: 'query Catalog { factorCatalog { factorType oktaFactorType provider enrollment status } }',
  enroll: `mutation Enroll($input: EnrollFactorInput!) {
    enrollFactor(input: $input) {
      factor { id factorType status provider phoneNumber email }
      activation { sharedSecret otpauthUri qrCodeHref qrCodeDataUri timeStep keyLength }
    }
  }`,
  activate: 'mutation Activate($factorId: ID!, $passCode: String!) { activateFactor(factorId: $factorId, passCode: $passCode) { id status factorType } }',
  verify: 'mutation Verify($factorId: ID!, $passCode: String) { verifyFactor(factorId: $factorId, passCode: $passCode) { result mfa { completed method factorId fresh } } }',
  resend: 'mutation Resend($factorId: ID!) { resendChallenge(factorId: $factorId) { factor { id status } } }',
  remove: 'mutation Remove($factorId: ID!) { removeFactor(factorId: $factorId) { removedFactorId } }',
} as const
