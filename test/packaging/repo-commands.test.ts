// The repository's own commands as a newcomer meets them: `pnpm emulator` prints its `listening url=` line first
// (nothing of pnpm's before it), the demo (examples/fastify-app) names PORT when its port is taken, every link in
// the demo's start-up banner opens in a browser, beyond loopback the demo's well-known password is gone (and the
// banner says what is true about it) while any loopback address or spelling keeps it, DEMO_PASSWORD is never
// printed, and a bad LOG_LEVEL or HOST is named.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { readConfig } from '../../examples/fastify-app/dist/index.js'
import { withRedis } from '../helpers/redis.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = fileURLToPath(new URL('../../examples/fastify-app/dist/main.js', import.meta.url))

interface Run { output: () => string, stderr: () => string, exited: Promise<number | null>, stop: () => Promise<void> }

/** Starts `command` in its own process group (so stop() ends pnpm and what it started), stdout and stderr kept apart. */
function start (command: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  let err = ''
  let all = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); all += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); all += d.toString() })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  let done = false
  void exited.then(() => { done = true })
  return {
    output: () => all,
    stderr: () => err,
    exited,
    stop: async () => {
      if (!done && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
      await exited
    },
  }
}

async function until (run: Run, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  for (let i = 0; i < 600; i++) {
    const m = pattern.exec(run.output())
    if (m !== null) return m
    const exited = await Promise.race([run.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => { resolve(false) }, 50))])
    if (exited) break
  }
  throw new Error(`${what}: not seen in ${JSON.stringify(run.output())}`)
}

/** The environment of a newcomer's shell: no Okta or port settings inherited from ours. */
function cleanEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const { OKTA_ORG_URL: _u, OKTA_API_TOKEN: _t, SESSION_KEY: _k, PORT: _p, HOST: _h, ...base } = process.env
  return { ...base, ...extra }
}

await t.test('pnpm emulator: the first line of output is the listening line with the URL', async (t) => {
  const run = start('pnpm', ['emulator', '--port', '0'], cleanEnv({}))
  t.teardown(run.stop)
  await until(run, /\n/, 'a first line')
  const first = run.output().split('\n')[0] ?? ''
  t.match(first, /^okta-emulator listening url=http:\/\/127\.0\.0\.1:\d+ token=\S+$/, 'nothing (no pnpm command echo) comes before it')
  const [, url, token] = /url=(\S+) token=(\S+)/.exec(first) ?? []
  const res = await fetch(`${url!}/api/v1/users`, { headers: { authorization: `SSWS ${token!}` } })
  t.equal(res.status, 200, 'and the emulator answers there with that token')
})

await t.test('npm pack in a package refuses (its workspace: ranges would not install) and names the pnpm commands', async (t) => {
  for (const pkg of ['mfa-core', 'gateway']) {
    const child = spawn('npm', ['pack', '--dry-run'], { cwd: `${ROOT}packages/${pkg}`, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ npm_config_user_agent: '' }) })
    let err = ''
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.stdout.resume()
    const [code] = await once(child, 'exit') as [number | null]
    t.not(code, 0, `${pkg}: npm pack fails`)
    t.match(err, /workspace: dependency ranges as they are[\s\S]*`pnpm pack`[\s\S]*`pnpm pack:all`/, `${pkg}: and says why and what to use`)
  }
})

await t.test('the demo names PORT when its port is taken: one line on stderr, exit 1, no stack', async (t) => {
  const blocker = createServer()
  blocker.listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  t.teardown(() => { blocker.close() })
  const port = (blocker.address() as AddressInfo).port
  const run = start(process.execPath, [MAIN], cleanEnv({ PORT: String(port) }))
  t.teardown(run.stop)
  t.equal(await run.exited, 1, 'exits with status 1')
  const lines = run.stderr().trim().split('\n')
  t.equal(lines.length, 1, `one line: ${run.stderr()}`)
  t.match(lines[0], new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use: set PORT to another port`))
  t.notMatch(run.stderr(), /\n\s+at /, 'no stack trace')
})

await t.test("every link in the demo's banner opens in a browser", async (t) => {
  const run = start(process.execPath, [MAIN], cleanEnv({ PORT: '0' }))
  t.teardown(run.stop)
  await until(run, /\/dev\/outbox/, 'the banner')
  const emulatorPort = /its API on port (\d+)/.exec(run.output())?.[1]
  t.ok(emulatorPort, 'names the in-process emulator by its port')
  const links = [...new Set(run.output().match(/https?:\/\/[^\s)]+/g) ?? [])]
  t.ok(links.length >= 2, `the app URL and the outbox page: ${links.join(' ')}`)
  for (const link of links) {
    t.notMatch(new URL(link).port, new RegExp(`^${emulatorPort ?? 'none'}$`), `${link} is not the emulator's API`)
    const res = await fetch(link, { headers: { accept: 'text/html' } })
    t.equal(res.status, 200, `${link} opens (after redirects: ${res.url})`)
    t.match(res.headers.get('content-type'), /^text\/html/, `${link} is a page`)
  }
})

await t.test('the demo with REDIS_URL and its in-process emulator says that this Okta org is its own, not shared', async (t) => {
  const redis = await withRedis(t)
  const run = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', REDIS_URL: redis.url }))
  t.teardown(run.stop)
  await until(run, /\/dev\/outbox/, 'the banner')
  t.match(run.output(), /in Redis \(REDIS_URL\), shared by every instance/)
  t.match(run.output(), /the in-process emulator is this instance's own Okta org: instances that serve one app need one\n\s+OKTA_ORG_URL as well/, 'and that the Okta org is not')
  const alone = start(process.execPath, [MAIN], cleanEnv({ PORT: '0' }))
  t.teardown(alone.stop)
  await until(alone, /\/dev\/outbox/, 'the banner')
  t.notMatch(alone.output(), /this instance's own Okta org/, 'without REDIS_URL (one instance) no such note')
})

await t.test('the demo reachable beyond loopback (HOST=0.0.0.0) neither prints nor shows nor accepts its well-known password', async (t) => {
  const run = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', HOST: '0.0.0.0' }))
  t.teardown(run.stop)
  await until(run, /\/dev\/outbox/, 'the banner')
  const url = /Open (http:\/\/\S+)/.exec(run.output())?.[1] ?? ''
  t.notMatch(run.output(), /correct-horse-battery/, 'the banner does not print it')
  // DEMO_PASSWORD is not set: the password is random, and the banner and the page say that, not "the one in DEMO_PASSWORD".
  t.match(run.output(), /password random for this run, known to nobody \(set DEMO_PASSWORD to choose one\)/, 'and says the password is random')
  t.notMatch(run.output(), /DEMO_PASSWORD \(not shown\)/)
  const page = await fetch(`${url}/login`)
  const html = await page.text()
  t.equal(page.status, 200)
  t.notMatch(html, /correct-horse-battery/, 'the sign-in page does not show it')
  t.match(html, '<code>random for this run, known to nobody (set DEMO_PASSWORD to choose one)</code>', 'and says the same')
  t.notMatch(html, /DEMO_PASSWORD \(not shown\)/)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'alice', password: 'correct-horse-battery', _csrf: csrf }).toString(),
  })
  t.not(login.headers.get('location'), '/mfa/enroll', 'and it does not sign anyone in')
  t.equal(login.status, 401, 'the password is wrong there')
})

/** Signs in through the demo's form with `fetch`: the redirect location, or the status when there is none. */
async function demoLogin (url: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${url}/login`)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, _csrf: csrf }).toString(),
  })
  return login.headers.get('location') ?? String(login.status)
}

await t.test('DEMO_PASSWORD chosen: never printed nor shown, even on loopback; it signs in. Empty: unset, like every variable', async (t) => {
  const chosen = 'Chosen-Demo-Pw-4821'
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const run = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', HOST: host, DEMO_PASSWORD: chosen }))
    t.teardown(run.stop)
    await until(run, /\/dev\/outbox/, 'the banner')
    const url = /Open (http:\/\/\S+)/.exec(run.output())?.[1] ?? ''
    t.notMatch(run.output(), chosen, `HOST=${host}: the banner does not print it`)
    t.match(run.output(), /password the one in DEMO_PASSWORD \(not shown\)/, `HOST=${host}: and says where it comes from`)
    const html = await (await fetch(`${url}/login`)).text()
    t.notMatch(html, chosen, `HOST=${host}: the sign-in page does not show it`)
    t.notMatch(html, /correct-horse-battery/)
    t.equal(await demoLogin(url, 'alice', chosen), '/mfa/enroll', `HOST=${host}: it signs in`)
    await run.stop()
  }
  // An empty DEMO_PASSWORD is unset: the well-known password on loopback (not an empty one) ...
  const local = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', DEMO_PASSWORD: '' }))
  t.teardown(local.stop)
  await until(local, /\/dev\/outbox/, 'the banner')
  t.match(local.output(), /username alice {2}password correct-horse-battery /, 'loopback: the well-known password, printed')
  t.equal(await demoLogin(/Open (http:\/\/\S+)/.exec(local.output())?.[1] ?? '', 'alice', 'correct-horse-battery'), '/mfa/enroll', 'and it signs in')
  await local.stop()
  // ... and a random one beyond loopback, said to be random.
  const wide = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', HOST: '0.0.0.0', DEMO_PASSWORD: '' }))
  t.teardown(wide.stop)
  await until(wide, /\/dev\/outbox/, 'the banner')
  t.match(wide.output(), /password random for this run, known to nobody/, 'HOST=0.0.0.0: random')
})

await t.test('every loopback HOST (127.0.0.0/8, localhost in any case) keeps the well-known password, printed, and it signs in', async (t) => {
  for (const host of ['127.0.0.2', 'LOCALHOST']) {
    const run = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', HOST: host }))
    t.teardown(run.stop)
    await until(run, /\/dev\/outbox/, 'the banner')
    t.match(run.output(), /username alice {2}password correct-horse-battery /, `HOST=${host}: the well-known password, printed`)
    t.notMatch(run.output(), /random for this run/, `HOST=${host}: not said to be random`)
    const url = /Open (http:\/\/\S+)/.exec(run.output())?.[1] ?? ''
    t.equal(await demoLogin(url, 'alice', 'correct-horse-battery'), '/mfa/enroll', `HOST=${host}: it signs in`)
    await run.stop()
  }
})

await t.test('a bad LOG_LEVEL or HOST stops the demo at start: one line naming the variable, exit 1, no stack', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ LOG_LEVEL: 'loud' }, /^Configuration error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
    [{ LOG_LEVEL: 'DEBUG' }, /^Configuration error: LOG_LEVEL must be one of /],
    [{ HOST: 'not a host' }, /^Configuration error: HOST must be an address of this machine to listen on \(e\.g\. 127\.0\.0\.1 or 0\.0\.0\.0\), got "not a host" \(E[A-Z_]+\)$/],
  ]
  for (const [env, expected] of cases) {
    const run = start(process.execPath, [MAIN], cleanEnv({ PORT: '0', ...env }))
    t.teardown(run.stop)
    t.equal(await run.exited, 1, `${JSON.stringify(env)}: exits with status 1`)
    const lines = run.stderr().trim().split('\n')
    t.equal(lines.length, 1, `one line: ${run.stderr()}`)
    t.match(lines[0], expected)
    t.notMatch(run.stderr(), /\n\s+at |ENOTFOUND not a host|custom levels/, 'no stack, no raw system or pino message')
  }
  for (const level of ['silent', 'fatal', 'trace']) t.doesNotThrow(() => readConfig({ LOG_LEVEL: level }), `LOG_LEVEL=${level} is fine`)
  t.equal(readConfig({ LOG_LEVEL: '' }).logLevel, 'warn', 'empty: the default')
  t.equal(readConfig({ DEMO_PASSWORD: '' }).demoPassword, undefined, 'an empty DEMO_PASSWORD is unset')
})

await t.test("the README's install line and .ci/run keep the pnpm of packageManager, installing it only when missing", async (t) => {
  const { readFileSync } = await import('node:fs')
  const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { packageManager: string }
  const version = manifest.packageManager.replace(/^pnpm@/, '')
  const readme = readFileSync(`${ROOT}README.md`, 'utf8')
  const lines = readme.split('\n').filter((l) => l.includes('npm i -g --allow-scripts=pnpm'))
  t.ok(lines.length >= 2, 'the README shows the install line (start and test)')
  for (const line of lines) {
    t.ok(line.startsWith(`pnpm --version 2>/dev/null | grep -qx ${version} || npm i -g --allow-scripts=pnpm pnpm@${version} && pnpm install && pnpm `), line)
  }
  const ci = readFileSync(`${ROOT}.ci/run`, 'utf8')
  t.match(ci, 'pnpm --version 2>/dev/null | grep -qx "$want_pnpm" || npm i -g --allow-scripts=pnpm "pnpm@$want_pnpm"', '.ci/run: the same check')
  t.match(ci, /want_pnpm=\$\(node -p 'require\("\.\/package\.json"\)\.packageManager/, '.ci/run reads the version from packageManager')
  t.match(ci, /\n {2}PATH=\$run_path pnpm test \$\{CI_TAP_ARGS:-\}/, ".ci/run runs the README's test command")
})

await t.test("every README link into the repository lands on a heading that exists, and none is relative (npm's pages break them)", async (t) => {
  const { readFileSync, existsSync, readdirSync } = await import('node:fs')
  const readmes = ['README.md', ...['packages', 'examples'].flatMap((dir) => readdirSync(`${ROOT}${dir}`).map((name) => `${dir}/${name}/README.md`))]
    .filter((path) => existsSync(`${ROOT}${path}`))
  // GitHub's heading anchors: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens.
  const slug = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-')
  const anchors = (path: string): Set<string> => new Set(readFileSync(`${ROOT}${path}`, 'utf8').split('\n')
    .filter((line) => /^#{1,6} /.test(line)).map((line) => slug(line.replace(/^#+ /, ''))))
  let checked = 0
  for (const readme of readmes) {
    const text = readFileSync(`${ROOT}${readme}`, 'utf8')
    if (readme.startsWith('packages/')) t.notMatch(text, /\]\(\.\.?\//, `${readme}: no relative links`)
    for (const [, target, anchor] of [...text.matchAll(/\]\((?:https:\/\/github\.com\/okta-mfa\/okta-mfa\/(?:tree|blob)\/main\/([\w./-]*?)|([\w./-]*?))#([\w-]+)\)/g)].map((m) => [m[0], m[1] ?? m[2] ?? '', m[3]!] as const)) {
      const dir = readme.slice(0, readme.lastIndexOf('/') + 1)
      const path = target === '' ? readme : target.endsWith('.md') ? (target.startsWith('packages/') || target.startsWith('examples/') || target === 'README.md' ? target : `${dir}${target}`) : `${target.replace(/\/$/, '')}/README.md`
      // #readme is GitHub's anchor of the README itself.
      t.ok(existsSync(`${ROOT}${path}`) && (anchor === 'readme' || anchors(path).has(anchor)), `${readme}: #${anchor} exists in ${path}`)
      checked++
    }
  }
  t.ok(checked > 10, `${checked} links checked`)
})

await t.test('`tsc -b` (pnpm build) builds a package again whose dist/ was deleted: its build info lives in dist/', async (t) => {
  // A copy of one package, laid out as in the repository, so that deleting its dist/ disturbs no other test.
  const tree = mkdtempSync(join(tmpdir(), 'okta-mfa-build-'))
  t.teardown(() => rmSync(tree, { recursive: true, force: true }))
  const pkg = join(tree, 'packages/okta-client')
  mkdirSync(pkg, { recursive: true })
  cpSync(join(ROOT, 'tsconfig.base.json'), join(tree, 'tsconfig.base.json'))
  for (const part of ['src', 'tsconfig.json', 'package.json']) cpSync(join(ROOT, 'packages/okta-client', part), join(pkg, part), { recursive: true })
  symlinkSync(join(ROOT, 'packages/okta-client/node_modules'), join(pkg, 'node_modules'), 'dir')
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir')
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  await promisify(execFile)(process.execPath, [tsc, '-b'], { cwd: pkg })
  t.ok(existsSync(join(pkg, 'dist/index.js')), 'built')
  t.notOk(existsSync(join(pkg, 'tsconfig.tsbuildinfo')), 'no build info beside dist/, where deleting dist/ would leave it')
  rmSync(join(pkg, 'dist'), { recursive: true })
  await promisify(execFile)(process.execPath, [tsc, '-b'], { cwd: pkg })
  t.ok(existsSync(join(pkg, 'dist/index.js')), 'dist/ deleted, then built again by a plain tsc -b')
})
