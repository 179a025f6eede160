// Guards items 2, 3 (input sizes) and 10 of issue 9 on the demo (examples/fastify-app) and the Express example:
// passport-local reads the query string when a body field is empty, so credentials in the URL are refused and never
// logged; the password limiter counts one key per normalized account (case, width, invisible characters, spaces),
// never a key shared by empty or unknown names, never reset by someone else's success; over-long fields are refused
// with a code before any store; and the Express example refuses cross-site form posts.
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp as buildExpressApp } from '../../examples/express-app/dist/app.js'
import { csrfOf, PASSWORD, startE2eApp } from '../helpers/e2e-app.js'
import { withEmulator } from '../helpers/emulator.js'
import { CookieJar, type JarResponse, listenLoopback } from '../helpers/http.js'
import { withLoopDelay } from '../helpers/loop-delay.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** bob, spelled as other people would type him (all one account once normalized). */
const BOB_SPELLINGS = ['bob', 'BOB', ' Bob ', '\uff42\uff4f\uff42', 'b\u200bob', 'bob\u00ad', 'ＢＯＢ', 'bob\u034f', 'bo\ufe0fb', '\u3164bob', 'b\u180bob']

/** A log stream that keeps every line. */
function logSink (): { stream: Writable, text: () => string } {
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  return { stream, text: () => lines.join('') }
}

/** Posts the login form of `jar`'s session with its CSRF token, to `path` (query string included). */
async function loginPost (jar: CookieJar, form: Record<string, string>, path = '/login'): Promise<JarResponse> {
  const page = await jar.fetch('/login')
  return await jar.fetch(path, { form: { ...form, _csrf: csrfOf(page.text) } })
}

await t.test('the demo: credentials in the URL are refused and never logged', async (t) => {
  const logs = logSink()
  const app = await startE2eApp(t, { logger: { level: 'trace', stream: logs.stream } })
  const jar = app.jar()
  const query = `/login?username=bob&password=${PASSWORD}`
  const empty = await loginPost(jar, { username: '', password: '' }, query)
  t.equal(empty.status, 400, 'empty body fields with credentials in the query: refused')
  t.equal(empty.headers['x-error-code'], 'CREDENTIALS_IN_URL')
  t.match(empty.text, /never in the address/)
  const both = await loginPost(jar, { username: 'bob', password: PASSWORD }, '/login?returnTo=/account')
  t.equal(both.headers['x-error-code'], 'CREDENTIALS_IN_URL', 'any query string on the sign-in post')
  t.equal((await jar.fetch('/account', { headers: { accept: 'text/html' } })).location, '/login', 'nobody got signed in')
  const json = await jar.fetch(query, { json: { username: '', password: '', _csrf: csrfOf((await jar.fetch('/login')).text) } })
  t.same(json.json().error.code, 'CREDENTIALS_IN_URL', 'JSON callers get the code in the body')
  // Without a CSRF token the post is refused earlier, and that refusal is logged too: with the path only.
  await jar.fetch(query, { form: { username: '', password: '' } })
  const text = logs.text()
  t.ok(text.includes('incoming request'), 'requests are logged at this level')
  t.notOk(text.includes(PASSWORD), 'the password never reaches a log line')
  t.notOk(/"url":"[^"]*\?/.test(text), 'no logged URL keeps its query string')
})

await t.test('the demo: one limiter key per normalized account, never shared, bounded input', async (t) => {
  const app = await startE2eApp(t)
  // Ten wrong passwords under ten spellings of bob use up bob's ten attempts...
  for (let i = 0; i < 10; i++) {
    const res = await loginPost(app.jar(), { username: BOB_SPELLINGS[i % BOB_SPELLINGS.length]!, password: `wrong-${i}` })
    t.equal(res.status, 401, `attempt ${i + 1} counted and refused`)
  }
  const locked = await loginPost(app.jar(), { username: 'bob', password: PASSWORD })
  t.equal(locked.status, 429, 'the right password is paused: every spelling was the same account')
  t.equal(locked.headers['x-error-code'], 'LOCKED_OUT', 'coded')
  t.equal((await loginPost(app.jar(), { username: 'ＢＯＢ', password: PASSWORD })).status, 429, 'under any spelling')

  // ...and nobody else's: alice signs in, and her success does not reset bob's counter.
  const alice = await loginPost(app.jar(), { username: 'alice', password: PASSWORD })
  t.equal(alice.status, 303, 'another account is not affected')
  t.equal((await loginPost(app.jar(), { username: 'bob', password: PASSWORD })).status, 429, 'bob is still paused after alice signed in')

  // Empty or missing names are refused before the limiter: no shared key a success could reset.
  for (const form of [{ username: '', password: 'x' }, { username: '   ', password: 'x' }, { username: '\u200b', password: 'x' }, { password: 'x' }, { username: 'carol', password: '' }]) {
    const res = await loginPost(app.jar(), form as Record<string, string>)
    t.equal(res.status, 400, `refused: ${JSON.stringify(form).replace(/[^\x20-\x7e]/g, '?')}`)
    t.equal(res.headers['x-error-code'], 'MISSING_CREDENTIALS')
  }
  for (let i = 0; i < 12; i++) await loginPost(app.jar(), { username: '', password: `guess-${i}` })
  t.equal((await loginPost(app.jar(), { username: 'carol', password: PASSWORD })).status, 303, 'empty-name posts counted against nobody')

  // The name typed is shown again, escaped: a quote cannot end the attribute it sits in.
  const quoted = await loginPost(app.jar(), { username: 'a"><b x="1', password: 'wrong' })
  t.equal(quoted.status, 401)
  t.match(quoted.text, 'value="a&#34;&#62;&#60;b x=&#34;1"', 'the name typed, escaped in its value attribute')
  t.notMatch(quoted.text, /<b x=/, 'no element of its making')

  // Sizes are bounded before any store: a clear code, not a counter per huge name.
  const longName = await loginPost(app.jar(), { username: 'u'.repeat(257), password: 'x' })
  t.equal(longName.status, 400)
  t.equal(longName.headers['x-error-code'], 'USERNAME_TOO_LONG')
  // The field at fault is the one marked and focused, so a screen reader reads the error there.
  const input = (page: string, id: string): string => new RegExp(`<input id="${id}"[^>]*>`).exec(page)?.[0] ?? ''
  t.match(input(longName.text, 'username'), /(?=.*\bautofocus\b)(?=.*aria-describedby="login-error")(?=.*aria-invalid="true")/s, 'too long a username: Username marked and focused')
  t.notMatch(input(longName.text, 'password'), /aria-invalid|autofocus/, 'not Password')
  const expanding = await loginPost(app.jar(), { username: '\ufdfa'.repeat(100), password: 'x' })
  t.equal(expanding.headers['x-error-code'], 'USERNAME_TOO_LONG', 'measured again after NFKC, which can grow a name 18 times')
  // Characters as a person counts them: 256 emoji are a name of 256 characters, 257 are one too many.
  t.not((await loginPost(app.jar(), { username: '😀'.repeat(256), password: 'x' })).headers['x-error-code'], 'USERNAME_TOO_LONG', '256 emoji')
  t.equal((await loginPost(app.jar(), { username: '😀'.repeat(257), password: 'x' })).headers['x-error-code'], 'USERNAME_TOO_LONG', '257 emoji')
  const wide = await loginPost(app.jar(), { username: 'carol', password: '😀'.repeat(1024) })
  t.ok(wide.status !== 413 && wide.headers['x-error-code'] !== 'PASSWORD_TOO_LONG', '1024 emoji: checked as a password (12 KB once form-encoded)')
  t.equal((await loginPost(app.jar(), { username: 'carol', password: '😀'.repeat(1025) })).headers['x-error-code'], 'PASSWORD_TOO_LONG', '1025 emoji')
  const longPassword = await loginPost(app.jar(), { username: 'carol', password: 'p'.repeat(1025) })
  t.equal(longPassword.headers['x-error-code'], 'PASSWORD_TOO_LONG')
  t.match(input(longPassword.text, 'password'), /(?=.*\bautofocus\b)(?=.*aria-describedby="login-error")(?=.*aria-invalid="true")/s, 'too long a password: Password marked and focused')
  // A body over the form's 16 KiB is not even parsed; the page says what to do, with a code.
  for (const form of [{ username: 'u'.repeat(20_000), password: 'x' }, { username: 'é'.repeat(3000), password: 'x' }, { username: 'carol', password: 'p'.repeat(100_000) }]) {
    const huge = await loginPost(app.jar(), form)
    t.equal(huge.status, 413, 'a body far over the limit: 413')
    t.equal(huge.headers['x-error-code'], 'PAYLOAD_TOO_LARGE', 'coded')
    t.match(huge.text, /too large to send/, 'and the page says so')
  }
  const unreadable = await app.jar().fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' })
  t.same([unreadable.status, unreadable.headers['x-error-code']], [400, 'BAD_REQUEST'], 'JSON that cannot be read: 400, coded')
  const xml = await app.jar().fetch('/login', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<login/>' })
  t.same([xml.status, xml.headers['x-error-code']], [415, 'UNSUPPORTED_MEDIA_TYPE'], 'a body type the form does not take: 415, coded as such')
  // Fastify parses text/plain by default: the form would have read as one with no fields ("Enter your username").
  const page = app.jar()
  const token = csrfOf((await page.fetch('/login')).text)
  const plain = await page.fetch('/login', { method: 'POST', headers: { 'content-type': 'text/plain', 'x-csrf-token': token }, body: `_csrf=${token}&username=carol&password=x` })
  t.same([plain.status, plain.headers['x-error-code']], [415, 'UNSUPPORTED_MEDIA_TYPE'], 'a text/plain body (a form with enctype="text/plain"): 415 too')
  const upper = await page.fetch('/login', { method: 'POST', headers: { 'content-type': 'Application/JSON', 'x-csrf-token': token }, body: JSON.stringify({ username: '', password: 'x' }) })
  t.same([upper.status, upper.json().error?.code], [400, 'MISSING_CREDENTIALS'], 'JSON in any case of its media type: answered in JSON')
  const graphql = await page.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ viewer { login } }"}' })
  t.same([graphql.status, graphql.headers['x-error-code'] ?? graphql.json().errors?.[0]?.extensions?.code], [400, 'BAD_REQUEST'], 'while /graphql keeps the gateway\'s own CSRF refusal of it')
})

await t.test('the Express example: CSRF on its forms, credentials only in the body, one key per account', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com' }] })
  const { app, close } = buildExpressApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [
      { id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' },
      { id: 'a1', username: 'ada', password: 'lovelace-1815', email: 'ada@example.com', displayName: 'Ada' },
    ],
    sessionSecret: 'x'.repeat(32),
    clock: emu.clock.now,
  })
  const base = await listenLoopback(t, app, close)

  // A cross-site login post (no token: the other site cannot read it) is refused, with or without a session.
  const crossSite = await new CookieJar(base).fetch('/login', { form: { username: 'grace', password: 'cobol-1959' } })
  t.equal(crossSite.status, 403, 'a login post without the token is refused')
  t.equal(crossSite.headers['x-error-code'], 'CSRF', 'coded')
  t.equal(crossSite.headers['cache-control'], 'no-store')
  t.match(crossSite.text, /<html lang="en">[\s\S]*<h1>This form expired<\/h1>[\s\S]*data-code="CSRF">This form expired\. Reload the page and try again\.<\/p>/, 'a page like the others: language, heading, coded line')
  const crossSiteJson = await new CookieJar(base).fetch('/login', { json: { username: 'grace', password: 'cobol-1959' } })
  t.equal(crossSiteJson.headers['x-error-code'], 'CSRF')
  t.equal(crossSiteJson.json().code, 'CSRF')
  const visited = new CookieJar(base)
  await visited.fetch('/login')
  t.equal((await visited.fetch('/login', { form: { username: 'grace', password: 'cobol-1959' } })).status, 403, 'also when the browser has a session')
  t.equal((await visited.fetch('/login', { form: { username: 'grace', password: 'cobol-1959', _csrf: 'x'.repeat(32) } })).status, 403, 'or a made-up token')

  const jar = new CookieJar(base)
  const inUrl = await loginPost(jar, { username: '', password: '' }, '/login?username=grace&password=cobol-1959')
  t.equal(inUrl.status, 400, 'credentials in the query string are refused')
  t.equal(inUrl.headers['x-error-code'], 'CREDENTIALS_IN_URL')
  t.equal((await jar.fetch('/api/me')).json().code, 'UNAUTHENTICATED', 'and nobody signed in')
  const longName = await loginPost(jar, { username: 'g'.repeat(300), password: 'x' })
  t.equal(longName.headers['x-error-code'], 'USERNAME_TOO_LONG')
  // The field in error is tied to the message and focused; what was typed is shown again.
  t.match(longName.text, /<p class="error" role="alert" id="error" data-code="USERNAME_TOO_LONG">/)
  t.match(longName.text, /name="username" autocomplete="username" required value="g{300}" aria-invalid="true" aria-describedby="error" autofocus>/)
  t.notMatch(longName.text, /name="password"[^>]*aria-invalid/)
  t.equal((await loginPost(jar, { username: '', password: 'x' })).headers['x-error-code'], 'MISSING_CREDENTIALS')
  const noPassword = await loginPost(jar, { username: 'Grace <x>', password: '' })
  t.equal(noPassword.headers['x-error-code'], 'MISSING_CREDENTIALS')
  t.match(noPassword.text, /name="username" autocomplete="username" required value="Grace &#60;x&#62;">/, 'the name typed, escaped')
  t.match(noPassword.text, /name="password"[^>]* aria-invalid="true" aria-describedby="error" autofocus>/, 'the empty password is the field in error')
  t.equal((await loginPost(jar, { username: 'u'.repeat(20_000), password: 'x' })).status, 413, 'a body over 16 KiB: 413, not a 500')
  // 1024 characters outside ASCII reach the size check (12 KB once form-encoded), and one more is the size check's.
  const wide = await loginPost(jar, { username: 'wide-emoji', password: '😀'.repeat(1024) })
  t.ok(wide.status !== 413 && wide.headers['x-error-code'] !== 'PASSWORD_TOO_LONG', '1024 emoji: checked as a password')
  t.equal((await loginPost(jar, { username: 'wide-emoji', password: '😀'.repeat(1025) })).headers['x-error-code'], 'PASSWORD_TOO_LONG', '1025 emoji')
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'x']))
  t.equal((await loginPost(jar, { ...many, username: 'grace', password: 'x' })).status, 413, 'too many fields: refused, not a 500')

  const spellings = ['grace', 'GRACE', ' Grace ', '\uff47\uff52\uff41\uff43\uff45', 'gr\u200bace']
  for (let i = 0; i < 10; i++) {
    const res = await loginPost(new CookieJar(base), { username: spellings[i % spellings.length]!, password: `wrong-${i}` })
    t.equal(res.location, '/login', `wrong password ${i + 1}`)
  }
  const paused = await loginPost(new CookieJar(base), { username: 'grace', password: 'cobol-1959' })
  t.equal(paused.status, 429, 'grace is paused under every spelling')
  t.equal(paused.headers['x-error-code'], 'LOCKED_OUT', 'coded')
  const wait = Number(paused.headers['retry-after'])
  t.ok(wait > 14 * 60 && wait <= 15 * 60, 'Retry-After: the rest of the 15-minute window')
  t.match(paused.text, `data-code="LOCKED_OUT">Too many failed sign-ins for this account. Try again in ${Math.ceil(wait / 60)} minutes.</p>`, 'the page says the same wait')
  t.equal((await loginPost(new CookieJar(base), { username: 'ada', password: 'lovelace-1815' })).location, '/mfa', 'ada is not')
  t.equal((await loginPost(new CookieJar(base), { username: 'grace', password: 'cobol-1959' })).status, 429, "ada's success did not reset grace")

  // Signed in with the password: the sign-in page's token does not outlive the sign-in, and every form of the
  // session's pages needs the new one (a cross-site post of codes would spend the person's attempts).
  const ada = new CookieJar(base)
  const before = csrfOf((await ada.fetch('/login')).text)
  t.equal((await ada.fetch('/login', { form: { username: 'ada', password: 'lovelace-1815', _csrf: before } })).location, '/mfa')
  const after = csrfOf((await ada.fetch('/mfa')).text)
  t.not(after, before, 'the sign-in gives the session a new token')
  for (const [path, form] of [['/mfa', { passCode: '123456' }], ['/devices/forget', {}], ['/logout', {}]] as const) {
    for (const [what, token] of [['no token', undefined], ["the sign-in page's token", before]] as const) {
      const res = await ada.fetch(path, { form: token === undefined ? form : { ...form, _csrf: token } })
      t.same([res.status, res.headers['x-error-code']], [403, 'CSRF'], `${path} with ${what}: refused`)
    }
  }
  t.equal((await ada.fetch('/mfa')).status, 200, 'and the session is still at its code step')

  // A burst of sign-ins (made-up names, each hashed anyway so that timing does not tell who exists) leaves the event
  // loop free: scrypt runs on the thread pool. Hashed on the loop, 40 of them held it for seconds here.
  const jars = Array.from({ length: 40 }, () => new CookieJar(base))
  const tokens = await Promise.all(jars.map(async (j) => csrfOf((await j.fetch('/login')).text)))
  const { result: burst, maxDelayMs } = await withLoopDelay(async () => await Promise.all(jars.map(async (j, i) => await j.fetch('/login', { form: { username: `nobody-${i}`, password: 'not-a-password', _csrf: tokens[i]! } }))))
  t.same([...new Set(burst.map((r) => r.location))], ['/login'], 'every one refused as a wrong password')
  t.ok(maxDelayMs < 500, `the event loop stayed free during 40 sign-ins (max delay ${maxDelayMs.toFixed(1)} ms)`)
})

await t.test('the Express example binds 127.0.0.1 unless HOST says otherwise, and prints its password only then', async (t) => {
  const freePort = async (): Promise<number> => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    return port
  }
  const start = async (extra: NodeJS.ProcessEnv): Promise<string[]> => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await freePort()), ...extra }
    delete env.OKTA_ORG_URL
    if (extra.HOST === undefined) delete env.HOST
    const child = spawn(process.execPath, ['examples/express-app/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
    t.teardown(() => { child.kill('SIGTERM') })
    const lines: string[] = []
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (status) => { reject(new Error(`main.js exited with ${String(status)}`)) })
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line)
        if (line.startsWith('Express example on')) setTimeout(resolve, 50)
      })
    })
    child.kill('SIGTERM')
    return lines
  }
  const local = await start({})
  t.ok(local.some((l) => l.startsWith('Express example on http://127.0.0.1:')), 'binds loopback by default')
  t.ok(local.some((l) => /with password "lovelace-1815"/.test(l)), 'prints the demo password in the default local mode')
  const elsewhere = await start({ HOST: '127.0.0.2' })
  t.ok(elsewhere.some((l) => l.startsWith('Express example on http://127.0.0.2:')), 'HOST is honoured')
  t.notOk(elsewhere.some((l) => /lovelace-1815|with password "/.test(l)), 'no password printed when bound elsewhere')
})
