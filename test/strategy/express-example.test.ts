// Guards examples/express-app: its buildApp walks login -> mfa -> account against the emulator
// (with wrong password, wrong code, step-up and logout), and `node examples/express-app/dist/main.js`
// starts with its own emulator and lets the printed demo user sign in with the printed code.
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from '../../examples/express-app/dist/app.js'
import { withEmulator } from '../helpers/emulator.js'
import { CookieJar, listenLoopback } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const FACTOR_ID = 'ostexample0000000001'
const PAGE = { accept: 'text/html' }

/** The CSRF token of a page's first form. */
function tokenOf (html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (match === null) throw new Error('no CSRF field on this page')
  return match[1]!
}

/** Posts a form with the token of the page at `from` (GET first, as a browser would). */
async function post (jar: CookieJar, path: string, form: Record<string, string>, from = path): Promise<Awaited<ReturnType<CookieJar['fetch']>>> {
  const page = await jar.fetch(from, { headers: PAGE })
  return await jar.fetch(path, { form: { ...form, _csrf: tokenOf(page.text) } })
}

await t.test('buildApp: login, MFA, account, step-up and logout', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const { app, close } = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace <Hopper>' }],
    sessionSecret: 'x'.repeat(32),
    mfaMaxAgeSeconds: 600,
    clock: emu.clock.now,
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  const code = (): string => totp(SECRET, emu.clock.now())

  const anonymous = await jar.fetch('/account', { headers: PAGE })
  t.equal(anonymous.location, '/login', 'not signed in: to the login page')
  t.match((await jar.fetch('/login')).text, /<form method="post" action="\/login">/)

  const wrong = await post(jar, '/login', { username: 'grace', password: 'nope' })
  t.equal(wrong.location, '/login')
  t.match((await jar.fetch('/login')).text, /Wrong username or password/)

  const login = await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })
  t.equal(login.location, '/mfa')
  t.equal((await jar.fetch('/account', { headers: PAGE })).location, '/mfa', 'MFA pending')
  const mfaPage = await jar.fetch('/mfa')
  t.match(mfaPage.text, /Signed in as Grace &#60;Hopper&#62;/, 'escaped')

  const bad = await post(jar, '/mfa', { passCode: '000000' === code() ? '111111' : '000000' })
  t.equal(bad.location, '/mfa')
  t.match((await jar.fetch('/mfa')).text, /didn&#39;t match/)

  const good = await post(jar, '/mfa', { passCode: code() })
  t.equal(good.location, '/account')
  const account = await jar.fetch('/account', { headers: PAGE })
  t.equal(account.status, 200)
  t.match(account.text, new RegExp(`verified with factor <code>${FACTOR_ID}</code>`))
  t.match((await jar.fetch('/api/me')).json(), { id: 'g1', mfa: { factorId: FACTOR_ID, method: 'form' } })

  emu.clock.advance(601_000)
  t.equal((await jar.fetch('/account', { headers: PAGE })).location, '/mfa', 'step-up after mfaMaxAgeSeconds')
  t.equal((await post(jar, '/mfa', { passCode: code() })).location, '/account')
  t.equal((await jar.fetch('/account', { headers: PAGE })).status, 200)

  t.equal((await jar.fetch('/logout', { method: 'POST' })).status, 403, 'sign-out needs the token')
  t.equal((await post(jar, '/logout', {}, '/account')).location, '/login')
  t.equal((await jar.fetch('/api/me')).json().code, 'UNAUTHENTICATED')
})

await t.test('buildApp: "Remember this device" skips the code at the next sign-in, until it is forgotten', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const built = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'a1', username: 'ada', password: 'engine-1843', email: 'ada@example.com', displayName: 'Ada' }],
    sessionSecret: 'y'.repeat(32),
    rememberDeviceDays: 7,
    clock: emu.clock.now,
  })
  const base = await listenLoopback(t, built.app, built.close)
  const code = (): string => totp(SECRET, emu.clock.now())
  const signIn = async (jar: CookieJar): Promise<void> => {
    t.equal((await post(jar, '/login', { username: 'ada', password: 'engine-1843' })).location, '/mfa')
  }

  const first = new CookieJar(base)
  await signIn(first)
  t.match((await first.fetch('/mfa')).text, /name="rememberDevice"[^>]*> Remember this device for 7 days/, 'the box, with its lifetime')
  emu.clock.advance(30_000) // a fresh code for each verify (Okta refuses a code twice)
  const plain = await post(first, '/mfa', { passCode: code() })
  t.equal(plain.location, '/account')
  t.notOk(first.cookies.has('okta_mfa_device'), 'not ticked: no device cookie')
  await post(first, '/logout', {}, '/account')
  await signIn(first)
  t.equal((await first.fetch('/account', { headers: PAGE })).location, '/mfa', 'so the next sign-in asks for a code')

  emu.clock.advance(30_000)
  const ticked = await post(first, '/mfa', { passCode: code(), rememberDevice: 'on' })
  t.equal(ticked.location, '/account')
  t.match(String(ticked.headers['set-cookie']), /okta_mfa_device=[^;]+;.*Max-Age=604800.*HttpOnly/i, 'ticked: a 7-day device cookie')
  await post(first, '/logout', {}, '/account')
  await signIn(first)
  const remembered = await first.fetch('/account', { headers: PAGE })
  t.equal(remembered.status, 200, 'the next sign-in on this browser skips the code')
  t.match((await first.fetch('/api/me')).json(), { id: 'a1', mfa: { factorId: FACTOR_ID } })

  const elsewhere = new CookieJar(base)
  await signIn(elsewhere)
  t.equal((await elsewhere.fetch('/account', { headers: PAGE })).location, '/mfa', 'another browser still needs a code')

  const forget = await post(first, '/devices/forget', {}, '/account')
  t.equal(forget.location, '/account')
  t.notOk(first.cookies.has('okta_mfa_device'), 'this browser\'s cookie is cleared')
  t.match((await first.fetch('/account', { headers: PAGE })).text, /Remembered devices forgotten/)
  const copy = ticked.headers['set-cookie']
  const stolen = new CookieJar(base)
  await signIn(stolen)
  stolen.cookies.set('okta_mfa_device', /okta_mfa_device=([^;]+)/.exec(String(copy))![1]!)
  t.equal((await stolen.fetch('/account', { headers: PAGE })).location, '/mfa', 'a copy of the forgotten cookie is refused')

  const stepUp = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'a1', username: 'ada', password: 'engine-1843', email: 'ada@example.com', displayName: 'Ada' }],
    sessionSecret: 'y'.repeat(32),
    mfaMaxAgeSeconds: 600,
  })
  const stepJar = new CookieJar(await listenLoopback(t, stepUp.app, stepUp.close))
  await post(stepJar, '/login', { username: 'ada', password: 'engine-1843' })
  t.notMatch((await stepJar.fetch('/mfa')).text, /rememberDevice/, 'never offered when every step-up asks for a code')
  t.throws(() => buildApp({ okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true }, users: [], sessionSecret: 'y'.repeat(32), rememberDeviceDays: -1 }), { message: /"rememberDeviceDays"/ })
})

await t.test('main.js runs with one command and its printed demo sign-in works', async (t) => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) }
  delete env.OKTA_ORG_URL
  const child = spawn(process.execPath, ['examples/express-app/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGTERM') })
  const lines: string[] = []
  let codeLine: string | undefined
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (status) => { reject(new Error(`main.js exited with ${String(status)}`)) })
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      codeLine ??= /current code: (\d{6})/.exec(line)?.[1]
      if (line.startsWith('Sign in as')) resolve()
    })
  })
  t.ok(lines.some((l) => l.includes('otpauth://totp/')), 'prints the otpauth URI')
  const password = /with password "([^"]+)"/.exec(lines.join('\n'))?.[1]
  t.ok(codeLine !== undefined && password !== undefined, 'prints a code and the demo password')

  const jar = new CookieJar(`http://127.0.0.1:${port}`)
  t.equal((await post(jar, '/login', { username: 'ada', password: password ?? '' })).location, '/mfa')
  const mfa = await post(jar, '/mfa', { passCode: codeLine ?? '' })
  t.equal(mfa.location, '/account', 'the printed code is accepted')
  t.equal((await jar.fetch('/account', { headers: PAGE })).status, 200)
})

await t.test("the package README's Express and Fastify quick starts are complete, type-correct code", async (t) => {
  const { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const ts = (await import('typescript')).default
  const readme = readFileSync(join(ROOT, 'packages/passport-okta-mfa/README.md'), 'utf8')
  const block = (heading: string): string => {
    const after = readme.slice(readme.indexOf(heading))
    const start = after.indexOf('```ts\n') + 6
    return after.slice(start, after.indexOf('```\n', start))
  }
  const dir = mkdtempSync(join(tmpdir(), 'okta-mfa-readme-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  const files = { 'express.ts': block('## Quick start: Express'), 'fastify.ts': block('## Quick start: Fastify') }
  for (const [name, code] of Object.entries(files)) {
    t.ok(code.includes('OktaMfaStrategy'), `${name} found in the README`)
    writeFileSync(join(dir, name), code)
  }
  // The gateway's and the core's option types too, filled from values that may be undefined (env, config files).
  const apps = join(dir, 'options.ts')
  writeFileSync(apps, `import Fastify from 'fastify'
import { oktaMfaGateway, type OktaMfaGatewayOptions } from '@okta-mfa/gateway'
import { AttemptLimiter, MemoryAttemptStore, MemoryRevocationStore, checkPasscode, endUserContext, type PasscodeCheckInput } from '@okta-mfa/core'
const env: Record<string, string | undefined> = process.env
const maybe = env.MAX === undefined ? undefined : Number(env.MAX)
const options: OktaMfaGatewayOptions = { orgUrl: env.OKTA_ORG_URL, token: env.OKTA_API_TOKEN, maxAttempts: maybe, issuer: env.ISSUER, revocations: new MemoryRevocationStore() }
await Fastify().register(oktaMfaGateway, options)
const limiter = new AttemptLimiter({ maxAttempts: maybe, store: new MemoryAttemptStore({ maxKeys: maybe }) })
const context = endUserContext({ ip: env.IP, headers: { 'user-agent': env.UA } })
export const input: Omit<PasscodeCheckInput, 'subject' | 'client'> = { limiter, context, passCode: env.CODE, factorId: env.FACTOR }
export { checkPasscode }
`)
  // Also with exactOptionalPropertyTypes, which today's `tsc --init` turns on (Express's `req.ip` is `string | undefined`).
  for (const exactOptionalPropertyTypes of [false, true]) {
    const program = ts.createProgram([...Object.keys(files).map((f) => join(dir, f)), apps], {
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
      strict: true, noEmit: true, skipLibCheck: true, types: ['node'], exactOptionalPropertyTypes,
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    t.same(diagnostics, [], `no type errors (exactOptionalPropertyTypes ${String(exactOptionalPropertyTypes)}): no undefined helper, no untyped user`)
  }
})
