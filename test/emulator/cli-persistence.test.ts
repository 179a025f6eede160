// Guards the okta-emulator command (its printed url/token line, --token, OKTA_EMULATOR_TOKEN, a
// random token, bad arguments, the tuning flags in effect, clean shutdown) and durability with --data: a `kill -9` right after
// a 200 loses nothing, and --seed preloads users once.
import t, { type Test } from 'tap'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { connect } from 'node:net'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect, promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Agent, type Dispatcher } from 'undici'
import { createOktaClient } from '@okta-mfa/client'
import { DataFileError, buildEmulator, startEmulator, type SeedUser } from '@okta-mfa/emulator'
import { emuFetch, withEmulator, type EmuResponse } from '../helpers/emulator.js'
import { totp } from '../helpers/totp.js'

const CLI = fileURLToPath(new URL('../../packages/okta-emulator/dist/cli.js', import.meta.url))
const LINE = /okta-emulator listening url=(\S+) token=(\S+)/

interface Running { child: ChildProcess, url: string, token: string, output: () => string }

function exited (child: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** Runs the CLI until it prints its url/token line. */
async function run (t: Test, args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { env: { ...process.env, OKTA_EMULATOR_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited(child)
    }
  })
  let out = ''
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = LINE.exec(out)
      if (m) resolve({ child, url: m[1]!, token: m[2]!, output: () => out })
    })
    child.once('exit', (code) => reject(new Error(`cli exited ${code}: ${out}`)))
  })
}

/** Runs the CLI to completion; one that starts listening instead of exiting is killed (code null). */
async function runToEnd (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, OKTA_EMULATOR_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
    if (LINE.test(stdout)) child.kill('SIGKILL')
  })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const { code } = await exited(child)
  return { code, stdout, stderr }
}

await t.test('the CLI prints a url and token that work', async (t) => {
  const fixed = await run(t, ['--token', 'abc', '--max-users', '1', '--max-messages', '5', '--max-oauth-records', '7'])
  t.equal(fixed.token, 'abc')
  t.match(fixed.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal((await emuFetch(fixed, 'GET', '/api/v1/users')).status, 200)
  const mkUser = (login: string) => emuFetch(fixed, 'POST', '/api/v1/users', { profile: { login, email: login } })
  t.equal((await mkUser('one@example.com')).status, 200)
  t.equal((await mkUser('two@example.com')).body.errorCode, 'E0000001', '--max-users caps the users held')
  t.equal((await emuFetch({ url: fixed.url, token: 'nope' }, 'GET', '/api/v1/users')).status, 401)

  const fromEnv = await run(t, [], { OKTA_EMULATOR_TOKEN: 'from-env' })
  t.equal(fromEnv.token, 'from-env')
  t.equal((await emuFetch(fromEnv, 'GET', '/api/v1/users')).status, 200)
  const flagWins = await run(t, ['--token', 'flag'], { OKTA_EMULATOR_TOKEN: 'from-env' })
  t.equal(flagWins.token, 'flag', '--token beats the environment')

  const random = await run(t, [])
  t.match(random.token, /^[A-Za-z0-9_-]{32}$/, 'a random token is generated and printed')
  t.equal((await emuFetch(random, 'GET', '/api/v1/users')).status, 200)

  // sms codes are echoed on the console unless --quiet.
  const user = await emuFetch(random, 'POST', '/api/v1/users', { profile: { login: 'c@example.com', email: 'c@example.com' } })
  await emuFetch(random, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550001111' } })
  const msgs = await emuFetch(random, 'GET', '/__emulator/messages')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(random.output(), `sms to +15550001111 (user ${user.body.id as string}, factor ${msgs.body[0].factorId as string}): code ${msgs.body[0].code as string}`)

  random.child.kill('SIGTERM')
  t.same(await exited(random.child), { code: 0, signal: null }, 'SIGTERM stops it cleanly')
  // A supervisor may stop it the moment it reads the line: the signal is handled from then on.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const early = await run(t, ['--token', 't', '--quiet'])
    early.child.kill(signal)
    t.same(await exited(early.child), { code: 0, signal: null }, `${signal} right after the line: exit 0`)
  }
})

await t.test('closing with a request in flight: it is answered with Connection: close, so its socket does not hold the close', async (t) => {
  const emu = await startEmulator({ port: 0, token: 't', quiet: true })
  const body = JSON.stringify({ profile: { login: 'closing@example.com', email: 'closing@example.com' } })
  const socket = connect(Number(new URL(emu.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  await new Promise((resolve) => socket.once('connect', resolve))
  const ended = new Promise((resolve) => socket.once('close', resolve))
  let answer = ''
  socket.on('data', (d: Buffer) => { answer += d.toString() })
  // A keep-alive request whose body is still arriving when the emulator starts closing (SIGTERM in the CLI).
  socket.write(`POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: SSWS t\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const closed = emu.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  socket.write(body.slice(10))
  await closed // without Connection: close the client kept the socket and close() waited for the 72 s keep-alive timeout
  await ended
  const head = answer.split('\r\n\r\n')[0]!
  t.match(head, /^HTTP\/1\.1 200 /, 'the request in flight is answered')
  t.match(head, /\r\nconnection: close\r\n/i, 'and told the connection ends')
})

await t.test('closing while a request body stalls: the connection is cut after the grace period, close() ends', async (t) => {
  const emu = await startEmulator({ port: 0, token: 't', quiet: true })
  const socket = connect(Number(new URL(emu.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  await new Promise((resolve) => socket.once('connect', resolve))
  const ended = new Promise((resolve) => socket.once('close', resolve))
  socket.on('error', () => {})
  // Node no longer enforces its request timeout once the server closes: this body never comes.
  socket.write('POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: SSWS t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pro')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await emu.close() // without the cut, it never resolved (the test timed out)
  await ended
  t.pass('closed, the stalled connection cut')
})

await t.test('bad arguments and --help', async (t) => {
  const bad = await runToEnd(['--port', 'abc'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, '--port must be a non-negative integer')
  // Out of range is a bad argument too (exit 2, not 1), named by the argument parser; a token is never echoed.
  const outOfRange: Array<[string[], string]> = [
    [['--port', '70000'], '--port must be between 0 and 65535'],
    [['--totp-window', '11'], '--totp-window must be between 0 and 10'],
    [['--max-users', '0'], '--max-users must be between 1 and'],
    [['--max-messages', '0'], '--max-messages must be between 1 and'],
    [['--max-oauth-records', '0'], '--max-oauth-records must be between 1 and'],
    [['--lockout-threshold', '99999999999999999999'], '--lockout-threshold must be between 0 and'],
    [['--host', ''], '--host must not be empty'],
    [['--data', ''], '--data must not be empty'],
    [['--seed', ''], '--seed must not be empty'],
    [['--token', 'se cret'], '--token must be non-empty visible ASCII without spaces'],
    // Characters fetch cannot put in a header: the emulator started, and no client could use it.
    [['--token', 'a\u0001b'], '--token must be non-empty visible ASCII without spaces'],
    [['--token', 'tok\u20acn'], '--token must be non-empty visible ASCII without spaces'],
    // A negative number is the option's value, refused in one line (not "argument is ambiguous").
    [['--port', '-1'], '--port must be between 0 and 65535'],
    [['--max-users', '-5'], '--max-users must be between 1 and'],
    [['--totp-window', '-2'], '--totp-window must be between 0 and 10'],
  ]
  for (const [args, message] of outOfRange) {
    const r = await runToEnd(args)
    t.same([r.code, r.stderr.split('\n')[0]?.startsWith(`okta-emulator: ${message}`)], [2, true], `${args.join(' ')}: ${r.stderr.split('\n')[0] ?? ''}`)
  }
  const envToken = await runToEnd(['--port', '0'], { OKTA_EMULATOR_TOKEN: 'se cret' })
  t.equal(envToken.code, 2)
  t.match(envToken.stderr, 'OKTA_EMULATOR_TOKEN must be visible ASCII without spaces')
  t.notMatch(envToken.stderr + (await runToEnd(['--token', 'se cret'])).stderr, 'se cret', 'the token is not echoed')
  const unknown = await runToEnd(['--frobnicate'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, 'Usage: okta-emulator')
  // A stray value (a token the shell split off, `--port 0 $TOKEN`) is refused in one line that does not repeat it.
  const stray = await runToEnd(['--port', '0', '00abcSECRETtoken'])
  t.same([stray.code, stray.stderr.split('\n')[0]], [2, 'okta-emulator: takes no positional arguments: each value follows its option (--token TOKEN)'])
  t.notMatch(stray.stderr, 'SECRET', 'the stray value is not shown')
  // Usage errors come before the seed is read: a FIFO nobody writes to (a `<(...)` whose command failed) blocks nothing.
  const noWriter = join(tmpdir(), `okta-emu-fifo-${process.pid}`)
  await promisify(execFile)('mkfifo', [noWriter])
  const early = await runToEnd(['--seed', noWriter, '--totp-window', '99'])
  await rm(noWriter, { force: true })
  t.same([early.code, early.stderr.split('\n')[0]], [2, 'okta-emulator: --totp-window must be between 0 and 10, got 99'])
  // An option without its value, in one line.
  const bare = await runToEnd(['--host', '-x'])
  t.same([bare.code, bare.stderr.split('\n')[0], bare.stderr.split('\n')[1]], [2, "okta-emulator: Option '--host' needs a value (--option=-value for one that starts with a dash)", ''])
  // A token may start with a dash (visible ASCII): it is --token's value.
  const dashed = await run(t, ['--token', '-dashSECRET'])
  t.equal(dashed.token, '-dashSECRET', 'a token that starts with a dash')
  dashed.child.kill('SIGKILL')
  t.equal((await runToEnd(['--token', '--port', '0'])).code, 2, '--token followed by another option has no value')
  const help = await runToEnd(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, '--data FILE')
  const short = await runToEnd(['-h'])
  t.same([short.code, short.stdout], [0, help.stdout], '-h is --help, as the README says')
  const pkg = JSON.parse(await readFile(new URL('../../packages/okta-emulator/package.json', import.meta.url), 'utf8')) as { version: string }
  const version = await runToEnd(['--version'])
  t.same([version.code, version.stdout], [0, `${pkg.version}\n`], "--version prints package.json's version")
})

await t.test('--data: kill -9 right after a 200 loses nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const data = join(dir, 'state.json')
  // A leftover temporary file from a crash mid-write must not matter, and is removed at the next start (it is a whole
  // copy of the state) once the process that wrote it is gone; a running process's (pid 1 here) is left alone.
  const gone = spawn(process.execPath, ['-e', '0'])
  await exited(gone)
  const leftover = join(dir, `.state.json.${gone.pid!}.tmp`)
  await writeFile(leftover, '{"version":1,"users":[{"half')
  await writeFile(join(dir, '.state.json.1.tmp'), '{"version":1,"users":[{"half')
  // A symlink under such a name is not a file a save wrote: left as it is, and so is what it points at.
  const gone2 = spawn(process.execPath, ['-e', '0'])
  await exited(gone2)
  await writeFile(join(dir, 'kept.txt'), 'not the emulator\'s')
  await symlink(join(dir, 'kept.txt'), join(dir, `.state.json.${gone2.pid!}.tmp`))

  const first = await run(t, ['--token', 't', '--data', data, '--quiet'])
  t.same((await readdir(dir)).filter((f) => f.endsWith('.tmp')).sort(), ['.state.json.1.tmp', `.state.json.${gone2.pid!}.tmp`].sort(), "the crashed writer's temporary file is removed, a running one's and a symlink kept")
  t.equal(await readFile(join(dir, 'kept.txt'), 'utf8'), 'not the emulator\'s')
  const user = await emuFetch(first, 'POST', '/api/v1/users?activate=false', { profile: { login: 'durable@example.com', email: 'durable@example.com' } })
  const factor = await emuFetch(first, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  const secret = factor.body._embedded.activation.sharedSecret as string
  // The very code that activated is replayed below (a fresh one could fall in the next 30-s step: not a replay).
  const activationCode = totp(secret)
  const act = await emuFetch(first, 'POST', `/api/v1/users/${user.body.id}/factors/${factor.body.id}/lifecycle/activate`, { passCode: activationCode })
  t.equal(act.status, 200)
  first.child.kill('SIGKILL')
  t.same(await exited(first.child), { code: null, signal: 'SIGKILL' })

  const second = await run(t, ['--token', 't', '--data', data, '--quiet'])
  const back = await emuFetch(second, 'GET', '/api/v1/users/durable@example.com')
  t.equal(back.body.id, user.body.id, 'the user survived')
  const f = await emuFetch(second, 'GET', `/api/v1/users/${user.body.id}/factors/${factor.body.id}`)
  t.equal(f.body.status, 'ACTIVE', 'the activation survived')
  const replay = await emuFetch(second, 'POST', `/api/v1/users/${user.body.id}/factors/${factor.body.id}/verify`, { passCode: activationCode })
  t.equal(replay.body.errorCode, 'E0000082', 'so did the used time step: the activation code is still spent')
  const del = await emuFetch(second, 'DELETE', `/api/v1/users/${user.body.id}/factors/${factor.body.id}`)
  t.equal(del.status, 204)
  second.child.kill('SIGKILL')
  await exited(second.child)

  const third = await run(t, ['--token', 't', '--data', data, '--quiet'])
  t.same((await emuFetch(third, 'GET', `/api/v1/users/${user.body.id}/factors`)).body, [], 'the delete survived too')
  const stored = JSON.parse(await readFile(data, 'utf8')) as { version: number }
  t.equal(stored.version, 2, 'the file is whole JSON')
})

await t.test('--data: a page cursor naming a deleted user, and who `me` is, survive a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataFile = join(dir, 'state.json')
  const start = async () => {
    const emu = await startEmulator({ port: 0, token: 't', quiet: true, dataFile })
    t.teardown(() => emu.close())
    return emu
  }
  const first = await start()
  const made: string[] = []
  for (const name of ['a', 'b', 'c', 'd', 'e']) made.push((await emuFetch(first, 'POST', '/api/v1/users', { profile: { login: `${name}@example.com`, email: `${name}@example.com` } })).body.id)
  const me = (await emuFetch(first, 'GET', '/api/v1/users/me')).body.id as string
  t.equal((await emuFetch(first, 'POST', '/api/v1/users/me', { profile: { login: 'renamed-admin@example.com' } })).status, 200)
  t.equal((await emuFetch(first, 'GET', '/api/v1/users/me')).body.id, me, "renamed, the token's owner is still me")
  // A cleanup script's first page, deleted before it asks for the next.
  const page1 = await emuFetch(first, 'GET', '/api/v1/users?limit=2')
  const next = /<([^>]+)>; rel="next"/.exec(page1.headers.get('link') ?? '')![1]!.slice(first.url.length)
  for (const u of page1.body as Array<{ id: string }>) {
    await emuFetch(first, 'DELETE', `/api/v1/users/${u.id}`)
    await emuFetch(first, 'DELETE', `/api/v1/users/${u.id}`)
  }
  await first.close()

  const second = await start()
  const page2 = await emuFetch(second, 'GET', next)
  t.same(page2.body.map((u: { id: string }) => u.id), made.slice(2, 4), "the deleted user's cursor goes on where it was")
  const meAgain = await emuFetch(second, 'GET', '/api/v1/users/me')
  t.same([meAgain.body.id, meAgain.body.profile.login], [me, 'renamed-admin@example.com'], 'me is the same user, not a new one with the old login')
  t.equal((await emuFetch(second, 'POST', '/api/v1/users', { profile: { login: 'z@example.com', email: 'z@example.com' } })).status, 200)
  const all = await emuFetch(second, 'GET', '/api/v1/users')
  t.same(all.body.map((u: { profile: { login: string } }) => u.profile.login), ['c@example.com', 'd@example.com', 'e@example.com', 'renamed-admin@example.com', 'z@example.com'],
    'a user created after the restart is listed last')
  await emuFetch(second, 'DELETE', `/api/v1/users/${me}`)
  await emuFetch(second, 'DELETE', `/api/v1/users/${me}`)
  const fresh = await emuFetch(second, 'GET', '/api/v1/users/me')
  t.same([fresh.status, fresh.body.profile.login], [200, 'okta-emulator-admin@example.com'], 'once deleted, me is made again')
  t.not(fresh.body.id, me)
})

await t.test('--seed preloads users once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const seed = join(dir, 'seed.json')
  const data = join(dir, 'state.json')
  await writeFile(seed, JSON.stringify([
    { login: 'alice@example.com', firstName: 'Alice', factors: [{ id: 'ostSeededAliceTotp01', factorType: 'token:software:totp', sharedSecret: 'JBSWY3DPEHPK3PXP' }] },
    { login: 'bob@example.com', status: 'STAGED' },
  ]))
  const first = await run(t, ['--token', 't', '--seed', seed, '--data', data])
  const users = await emuFetch(first, 'GET', '/api/v1/users')
  t.same(users.body.map((u: { profile: { login: string }, status: string }) => [u.profile.login, u.status]), [['alice@example.com', 'ACTIVE'], ['bob@example.com', 'STAGED']])
  const alice = users.body[0].id as string
  const ok = await emuFetch(first, 'POST', `/api/v1/users/${alice}/factors/ostSeededAliceTotp01/verify`, { passCode: totp('JBSWY3DPEHPK3PXP') })
  t.same(ok.body, { factorResult: 'SUCCESS' }, 'a seeded TOTP factor with a known secret verifies')
  first.child.kill('SIGKILL')
  await exited(first.child)
  const second = await run(t, ['--token', 't', '--seed', seed, '--data', data])
  t.equal((await emuFetch(second, 'GET', '/api/v1/users')).body.length, 2, 'seeding again with the same data file adds nobody')

  const badSeed = join(dir, 'bad.json')
  await writeFile(badSeed, '{"not":"an array"}')
  const bad = await runToEnd(['--port', '0', '--seed', badSeed])
  t.equal(bad.code, 1)
  t.match(bad.stderr, '"seed" option must be an array')

  // A seed may not hold what the API would refuse: each is named by its entry and field, secrets left out.
  const a = 'a@example.com'
  const refused: Array<[string, unknown[], string]> = [
    ['a login that is not an email address', [{ login: 'notanemail' }], 'user 0 ("notanemail"): login: Username must be in the form of an email address'],
    ['a status Okta does not have', [{ login: a, status: 'active' }], 'user 0 ("a@example.com"): status must be one of STAGED, PROVISIONED, ACTIVE, got "active"'],
    ['another', [{ login: a, status: 'WEIRD' }], 'status must be one of'],
    ['one user id twice', [{ id: '00uAAAAAAAAAAAAAAAAA', login: a }, { id: '00uAAAAAAAAAAAAAAAAA', login: 'b@example.com' }], 'user 1 ("b@example.com"): id 00uAAAAAAAAAAAAAAAAA is also the id of user 0'],
    ['one login twice', [{ login: a }, { login: 'A@EXAMPLE.com' }], 'user 1 ("A@EXAMPLE.com"): login is also the login of user 0'],
    ['one factor id on two users', [{ login: a, factors: [{ id: 'ostSeeded00000000001', factorType: 'token:software:totp' }] }, { login: 'b@example.com', factors: [{ id: 'ostSeeded00000000001', factorType: 'token:software:totp' }] }], 'user 1 ("b@example.com"): factors[0].id ostSeeded00000000001 is also the id of user 0\'s factors[0]'],
    ['two sms factors on one user', [{ login: a, factors: [{ factorType: 'sms', phoneNumber: '+15550001111' }, { factorType: 'sms', phoneNumber: '+15550001112' }] }], 'factors[1] is a second sms (OKTA) factor'],
    ['two Google Authenticator factors on one user', [{ login: a, factors: [{ factorType: 'token:software:totp' }, { factorType: 'token:software:totp', provider: 'GOOGLE' }] }], 'factors[1] is a second token:software:totp (GOOGLE) factor (factors[0] is one): a user has at most one of each type and provider'],
    ['a factor status Okta does not seed', [{ login: a, factors: [{ factorType: 'push', status: 'SUSPENDED' }] }], 'factors[0].status must be ACTIVE or PENDING_ACTIVATION'],
    ['a TOTP factor of another provider', [{ login: a, factors: [{ factorType: 'token:software:totp', provider: 'RSA' }] }], 'factors[0].provider must be GOOGLE or OKTA'],
    ['a call factor without a number', [{ login: a, factors: [{ factorType: 'call' }] }], 'factors[0].phoneNumber is required for a call factor'],
    ['a number that is none', [{ login: a, factors: [{ factorType: 'sms', phoneNumber: 'call me' }] }], 'factors[0].phoneNumber "call me" is not a phone number'],
    ['an answer under 4 characters', [{ login: a, factors: [{ factorType: 'question', question: 'disliked_food', answer: 'zq' }] }], 'factors[0].answer must be at least 4 characters long'],
    ['an answer over the 1024-character cap', [{ login: a, factors: [{ factorType: 'question', question: 'disliked_food', answer: 'zq'.repeat(513) }] }], 'factors[0].answer must be at most 1024 characters'],
    ['an unknown question', [{ login: a, factors: [{ factorType: 'question', question: 'pet', answer: 'zqzqzq' }] }], 'factors[0].question must be one of Okta\'s security questions'],
    ['an unknown factor type', [{ login: a, factors: [{ factorType: 'fax' }] }], 'factors[0].factorType must be one of token:software:totp, sms, call, email, question, push, got "fax"'],
    ['a secret that is not base32', [{ login: a, factors: [{ factorType: 'token:software:totp', sharedSecret: 'zq!zq' }] }], 'factors[0].sharedSecret must be a non-empty base32 string'],
    ['an email factor for another address', [{ login: a, factors: [{ factorType: 'email', email: 'zq@example.net' }] }], 'factors[0].email must be the user\'s own email'],
  ]
  for (const [what, seed, message] of refused) {
    let thrown: unknown
    try { buildEmulator({ seed: seed as SeedUser[] }) } catch (err) { thrown = err }
    const text = (thrown as Error | undefined)?.message ?? 'accepted'
    t.ok(thrown instanceof TypeError && text.startsWith('"seed" option: ') && text.includes(message), `${what}: ${text}`)
    t.notMatch(text, /zq/, `${what}: no answer or secret quoted`)
  }
  // One TOTP factor of each provider is what the API allows, so a seed may hold both.
  const both = buildEmulator({ seed: [{ login: a, factors: [{ factorType: 'token:software:totp', provider: 'OKTA' }, { factorType: 'token:software:totp', provider: 'GOOGLE' }] }] })
  const bothUser = (await both.app.inject({ url: '/api/v1/users', headers: { authorization: `SSWS ${both.token}` } })).json<Array<{ id: string }>>()[0]!
  const bothFactors = (await both.app.inject({ url: `/api/v1/users/${bothUser.id}/factors`, headers: { authorization: `SSWS ${both.token}` } })).json<Array<{ provider: string }>>()
  t.same(bothFactors.map((f) => f.provider).sort(), ['GOOGLE', 'OKTA'], 'an Okta Verify and a Google Authenticator TOTP factor seed side by side')
  await both.app.close()
  const seedFile = join(dir, 'fax.json')
  await writeFile(seedFile, JSON.stringify(refused.at(-3)![1]))
  const fax = await runToEnd(['--port', '0', '--seed', seedFile])
  t.equal(fax.code, 1, 'the CLI could not start')
  t.match(fax.stderr, `"seed" option (${seedFile}): user 0 ("a@example.com"): factors[0].factorType must be one of`)

  // A seeded user whose login was changed since is still the seed's: the same --seed and --data start again and add
  // nobody, whether the seed names the user by its id or only by a factor id (as alice's entry does).
  t.equal((await emuFetch(second, 'POST', `/api/v1/users/${alice}`, { profile: { login: 'alice.renamed@example.com', email: 'alice.renamed@example.com' } })).status, 200)
  second.child.kill('SIGKILL')
  await exited(second.child)
  const third = await run(t, ['--token', 't', '--seed', seed, '--data', data])
  t.same((await emuFetch(third, 'GET', '/api/v1/users')).body.map((u: { profile: { login: string } }) => u.profile.login), ['alice.renamed@example.com', 'bob@example.com'], 'the renamed user is not seeded again')
  third.child.kill('SIGKILL')
  await exited(third.child)
  const byId = buildEmulator({ dataFile: data, seed: [{ id: alice, login: 'alice@example.com' }] })
  const listed = await byId.app.inject({ url: '/api/v1/users', headers: { authorization: `SSWS ${byId.token}` } })
  t.equal(listed.json<unknown[]>().length, 2, 'a seed user named by the id of a renamed user is that user')
  await byId.app.close()
  // A new seed user may still not take the id of a factor another user holds.
  t.throws(() => buildEmulator({ dataFile: data, seed: [{ id: '00uEveEveEveEveEve01', login: 'eve@example.com', factors: [{ id: 'ostSeededAliceTotp01', factorType: 'token:software:totp' }] }] }), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: '"seed" option: user 0 ("eve@example.com"): factors[0].id ostSeededAliceTotp01 is the id of a factor the emulator holds' })
  const after = await withEmulator(t, { dataFile: data })
  t.same((await emuFetch(after, 'GET', '/api/v1/users')).body.map((u: { profile: { login: string } }) => u.profile.login), ['alice.renamed@example.com', 'bob@example.com'], 'neither start added anyone, and the refused one gave the file back')
})

await t.test('--data: a directory that cannot hold the file stops the start; a write that cannot be made durable is undone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const missing = join(dir, 'missing', 'state.json')
  const cli = await runToEnd(['--port', '0', '--data', missing])
  t.equal(cli.code, 1, 'the CLI could not start')
  t.match(cli.stderr, `emulator data file ${missing}: the directory ${join(dir, 'missing')} does not exist`)
  await writeFile(join(dir, 'plain'), 'x')
  const underFile = await runToEnd(['--port', '0', '--data', join(dir, 'plain', 'state.json')])
  t.equal(underFile.code, 1)
  t.match(underFile.stderr, 'is not a directory')
  await t.rejects(startEmulator({ port: 0, dataFile: missing }), { name: 'Error', code: 'OKTA_EMULATOR_DATA_FILE', message: /the directory .* does not exist/, cause: { code: 'ENOENT' } }, 'startEmulator rejects, coded, with the cause')
  t.ok(await startEmulator({ port: 0, dataFile: missing }).then(() => false, (err: unknown) => err instanceof DataFileError), 'a DataFileError')
  // What is not a regular file: a device (`--data /dev/null`, which the first save would replace), a FIFO (whose read
  // blocked the start for good), a symbolic link (replaced by a file of its own), a directory.
  const fifo = join(dir, 'state.fifo')
  await promisify(execFile)('mkfifo', [fifo])
  const target = join(dir, 'target.json')
  await writeFile(target, '')
  await symlink(target, join(dir, 'link.json'))
  for (const [file, kind] of [['/dev/null', 'not a regular file'], [fifo, 'not a regular file'], [join(dir, 'link.json'), 'a symbolic link'], [dir, 'a directory']] as const) {
    const refused = await runToEnd(['--port', '0', '--data', file])
    t.equal(refused.code, 1, `${file}: the CLI could not start`)
    t.match(refused.stderr, `emulator data file ${file} is ${kind}`)
    await t.rejects(startEmulator({ port: 0, dataFile: file }), { code: 'OKTA_EMULATOR_DATA_FILE', message: `emulator data file ${file} is ${kind}` }, `${file}: startEmulator rejects`)
  }
  t.equal(await readFile(target, 'utf8'), '', "the link's target is untouched")
  // A directory no file can be written in, whoever runs it (root passes access(2) checks even there).
  const proc = await runToEnd(['--port', '0', '--data', '/proc/okta-emulator-state.json'])
  t.equal(proc.code, 1, '/proc: could not start')
  t.match(proc.stderr, 'the directory /proc is not writable')
  // An empty file (what mktemp makes) is a fresh state, as a missing one is; a file that is not JSON is named as such.
  const empty = join(dir, 'empty.json')
  await writeFile(empty, '')
  const fresh = await withEmulator(t, { dataFile: empty })
  t.equal((await emuFetch(fresh, 'POST', '/api/v1/users?activate=false', { profile: { login: 'e@example.com', email: 'e@example.com', firstName: 'E', lastName: 'F' } })).status, 200, 'an empty data file starts empty and takes writes')
  t.match(JSON.parse(await readFile(empty, 'utf8')), { users: [{ profile: { login: 'e@example.com' } }] }, 'and holds them')
  const garbage = join(dir, 'garbage.json')
  await writeFile(garbage, '{"users": [')
  const broken = await runToEnd(['--port', '0', '--data', garbage])
  t.equal(broken.code, 1)
  t.match(broken.stderr, `emulator data file ${garbage} is not an okta-emulator state file (not JSON)`)
  // V8's SyntaxError quotes the text around the mistake: a seed's answer, a data file's TOTP key. Neither error quotes it,
  // nor its cause (what an app's logger or console.error prints).
  const badSeed = join(dir, 'bad-seed.json')
  await writeFile(badSeed, '[{"login":"q@example.com","factors":[{"factorType":"question","answer":"kale-LEAK"},]}]')
  const badData = join(dir, 'bad-data.json')
  await writeFile(badData, '{"version":1,"users":[{"factors":[{"secret":"HPK3LEAK"},]}]}')
  for (const [what, options] of [['a seed file', { seed: badSeed }], ['a data file', { dataFile: badData }]] as const) {
    const err = await Promise.resolve().then(() => buildEmulator(options)).then(() => undefined, (e: unknown) => e)
    t.match(err, { cause: { name: 'SyntaxError', message: /^not valid JSON/ } }, `${what}: the cause says it is not JSON`)
    const shown = [inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err), String((err as Error).stack)].join('\n')
    t.notOk(shown.includes('LEAK'), `${what}: nothing of its text in the error or its cause`)
  }

  const sub = join(dir, 'state')
  await mkdir(sub)
  const dataFile = join(sub, 'state.json')
  const emu = await withEmulator(t, { dataFile })
  const ann = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'ann@example.com', email: 'ann@example.com', firstName: 'Ann' } })
  t.equal(ann.status, 200)
  const U = `/api/v1/users/${ann.body.id as string}`
  await rm(sub, { recursive: true }) // every write fails from here on
  const bob = { profile: { login: 'bob@example.com', email: 'bob@example.com' } }
  const failed = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', bob)
  t.same([failed.status, failed.body.errorCode, failed.body.errorSummary], [500, 'E0000009', 'Internal Server Error'], 'a write that is not durable is not acknowledged')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/bob@example.com')).status, 404, '...and did not happen')
  t.equal((await emuFetch(emu, 'POST', U, { profile: { firstName: 'Anne' } })).status, 500)
  t.equal((await emuFetch(emu, 'DELETE', U)).status, 500)
  t.equal((await emuFetch(emu, 'POST', `${U}/lifecycle/activate`)).status, 500)
  const still = await emuFetch(emu, 'GET', U)
  t.same([still.body.status, still.body.profile.firstName], ['STAGED', 'Ann'], 'an update, a deactivation and an activation were undone too')
  t.same((await emuFetch(emu, 'GET', '/api/v1/users')).body.map((u: { id: string }) => u.id), [ann.body.id], 'the list is as it was')

  await mkdir(sub)
  const retry = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', bob)
  t.equal(retry.status, 200, 'the retry is a fresh create, not "login already exists"')
  t.equal((await emuFetch(emu, 'POST', U, { profile: { firstName: 'Anne' } })).status, 200)
  await emu.close()
  const back = await withEmulator(t, { dataFile })
  t.same((await emuFetch(back, 'GET', '/api/v1/users')).body.map((u: { profile: { login: string, firstName: string } }) => [u.profile.login, u.profile.firstName]),
    [['ann@example.com', 'Anne'], ['bob@example.com', null]], 'what was acknowledged is in the file')
})

await t.test('--data: one file belongs to one emulator; a file whose users are not the emulator\'s is named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const data = join(dir, 'state.json')
  const first = await run(t, ['--token', 't', '--data', data, '--quiet'])
  const twice = await runToEnd(['--port', '0', '--data', data])
  t.equal(twice.code, 1, 'a second CLI on the same file does not start')
  t.match(twice.stderr, `emulator data file ${data} is in use by another emulator (process ${first.child.pid!}`)
  await t.rejects(startEmulator({ port: 0, dataFile: data }), { code: 'OKTA_EMULATOR_DATA_FILE', message: `emulator data file ${data} is in use by another emulator (process ${first.child.pid!}; one file belongs to one emulator)` }, 'nor does startEmulator')
  t.equal((await emuFetch(first, 'POST', '/api/v1/users?activate=false', { profile: { login: 'a@example.com', email: 'a@example.com' } })).status, 200)
  // A lock whose process is gone (kill -9) is taken over, and the acknowledged write is there.
  first.child.kill('SIGKILL')
  await exited(first.child)
  const mine = await withEmulator(t, { dataFile: data })
  t.equal((await emuFetch(mine, 'GET', '/api/v1/users/a@example.com')).status, 200, 'the next emulator takes the file over')
  t.equal(await readFile(`${data}.lock`, 'utf8'), `${process.pid}\n`, 'and its lock names it')
  // In one process too: a second emulator on a file another holds is refused, and takes it once that one is closed.
  t.throws(() => buildEmulator({ dataFile: data }), { code: 'OKTA_EMULATOR_DATA_FILE', message: `emulator data file ${data} is in use by another emulator of this process (one file belongs to one emulator)` })
  await mine.close()
  t.equal((await readdir(dir)).includes('state.json.lock'), false, 'close gives the lock back')
  const next = await withEmulator(t, { dataFile: data })
  t.equal((await emuFetch(next, 'GET', '/api/v1/users/a@example.com')).status, 200)
  await next.close()
  // A lock naming this very pid that this process does not hold (a container restarted with its old pid) is stale.
  await writeFile(`${data}.lock`, `${process.pid}\n`)
  const restarted = await withEmulator(t, { dataFile: data })
  await restarted.close()
  // A port already taken gives the file back as well.
  const taken = await withEmulator(t, {})
  await t.rejects(startEmulator({ port: Number(new URL(taken.url).port), dataFile: data }), { code: 'EADDRINUSE' })
  t.equal((await readdir(dir)).includes('state.json.lock'), false, 'a start that failed leaves no lock')

  // JSON of the right version whose users lack what the emulator reads: refused, naming the file and the entry.
  const at = Date.UTC(2030, 0, 1)
  const user = { id: '00uA', status: 'ACTIVE', created: at, lastUpdated: at, profile: { login: 'a@example.com' }, factors: [] as unknown[] }
  const factor = { id: 'ostF', userId: '00uA', factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', created: at, lastUpdated: at, profile: {}, secret: 'JBSWY3DPEHPK3PXP', activationFailures: [] }
  const bad: Array<[unknown[], string]> = [
    [[{}], 'users[0] has no string "id"'],
    [[1], 'users[0] is not an object'],
    [[null], 'users[0] is not an object'],
    [[{ ...user, profile: null }], 'users[0] has no string "profile.login"'],
    [[{ ...user, factors: undefined }], 'users[0] has no "factors" array'],
    [[{ ...user, factors: [null] }], 'users[0].factors[0] is not an object'],
    [[user, { ...user, id: '00uB', profile: { login: 'b@example.com' }, factors: [{ ...factor, userId: '00uA' }] }], 'users[1].factors[0] belongs to another user ("userId")'],
    [[{ ...user, factors: [{ ...factor, profile: 'x' }] }], 'users[0].factors[0] has no "profile" object'],
    [[{ ...user, created: '2030-01-01' }], 'users[0] has no "created" and "lastUpdated" times'],
    [[{ ...user, factors: [{ ...factor, lastUpdated: null }] }], 'users[0].factors[0] has no "created" and "lastUpdated" times'],
    // What a request reads later: refused at the start, not a 400 "could not process" (or a 201 push answer) then.
    [[{ ...user, status: 'GONE' }], 'users[0] has no "status" of STAGED, PROVISIONED, ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED, DEPROVISIONED'],
    [[{ ...user, factors: [{ ...factor, factorType: 'bogus' }] }], 'users[0].factors[0] has no "factorType" of token:software:totp, sms, call, email, question, push'],
    [[{ ...user, factors: [{ ...factor, status: 'NOT_SETUP' }] }], 'users[0].factors[0] has no "status" of PENDING_ACTIVATION, ACTIVE'],
    [[{ ...user, factors: [{ ...factor, provider: undefined }] }], 'users[0].factors[0] has no "provider" of OKTA, GOOGLE'],
    [[{ ...user, factors: [{ ...factor, secret: undefined }] }], 'users[0].factors[0] has no base32 "secret"'],
    [[{ ...user, factors: [{ ...factor, secret: 12345 }] }], 'users[0].factors[0] has no base32 "secret"'],
    [[{ ...user, factors: [{ ...factor, secret: 'JBSWY3DPEHPK3PX1' }] }], 'users[0].factors[0] has no base32 "secret"'],
    [[{ ...user, factors: [{ ...factor, status: 'PENDING_ACTIVATION', activationFailures: undefined }] }], 'users[0].factors[0] has no "activationFailures" array of times'],
    [[{ ...user, factors: [{ ...factor, activationFailures: ['yesterday'] }] }], 'users[0].factors[0] has no "activationFailures" array of times'],
    [[{ ...user, factors: [{ ...factor, factorType: 'question', secret: undefined, profile: { question: 'disliked_food' } }] }], 'users[0].factors[0] has no "answerHash"'],
    [[{ ...user, factors: [{ ...factor, lastStep: '57' }] }], 'users[0].factors[0] has a "lastStep" that is not an integer'],
  ]
  const file = join(dir, 'foreign.json')
  // The command line says it in one line (exit 1); startEmulator rejects with the same words (each a quicker check).
  await writeFile(file, JSON.stringify({ version: 2, users: bad[0]![0] }))
  const cli = await runToEnd(['--port', '0', '--data', file])
  t.equal(cli.code, 1, bad[0]![1])
  t.equal(cli.stderr, `okta-emulator: emulator data file ${file} is not an okta-emulator state file (${bad[0]![1]})\n`, `${bad[0]![1]}: named, no stack`)
  for (const [users, problem] of bad) {
    await writeFile(file, JSON.stringify({ version: 2, users }))
    const err = await startEmulator({ port: 0, dataFile: file }).then(async (emu) => { await emu.close(); return undefined }, (e: unknown) => e as Error)
    t.equal(err?.message, `emulator data file ${file} is not an okta-emulator state file (${problem})`, `${problem}: named`)
    t.equal((err as { code?: unknown } | undefined)?.code, 'OKTA_EMULATOR_DATA_FILE', `${problem}: coded`)
    t.notMatch(err?.message, /JBSWY3DPEHPK3PXP/)
  }
  await writeFile(file, JSON.stringify({ version: 2, users: [{ ...user, factors: [factor] }] }))
  const good = await withEmulator(t, { dataFile: file })
  t.equal((await emuFetch(good, 'GET', '/api/v1/users/00uA/factors/ostF')).body.status, 'ACTIVE', 'a whole file still loads')
})

await t.test('--data: two starts over the same stale lock at once: one takes the file, the other is refused', async (t) => {
  // A start is held up once, long (a scheduler's delay, made long), in one file operation on a lock file.
  const slowFs = async (dir: string, fn: 'readFileSync' | 'renameSync', suffix: string): Promise<string> => {
    const path = join(dir, `slow-${fn}.cjs`)
    await writeFile(path, `const fs = require('node:fs'); const orig = fs.${fn}; let once = false
fs.${fn} = function (p, ...rest) {
  if (!once && String(p).endsWith(${JSON.stringify(suffix)})) { once = true; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200) }
  return orig.call(this, p, ...rest)
}
require('node:module').syncBuiltinESMExports()
`)
    return path
  }
  const race = async (t: Test, setup: (data: string) => Promise<string[]>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'okta-emu-race-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const data = join(dir, 'state.json')
    const preload = await setup(data)
    const start = (args: string[]): { child: ChildProcess, out: Promise<{ listening: boolean, stderr: string }> } => {
      const child = spawn(process.execPath, [...args, CLI, '--port', '0', '--token', 't', '--quiet', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] })
      t.teardown(() => { child.kill('SIGKILL') })
      let stdout = ''
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
      const out = new Promise<{ listening: boolean, stderr: string }>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); if (LINE.test(stdout)) resolve({ listening: true, stderr }) })
        child.once('exit', () => { resolve({ listening: LINE.test(stdout), stderr }) })
      })
      return { child, out }
    }
    const first = start(['--require', preload.join('')])
    await new Promise((resolve) => setTimeout(resolve, 400))
    const second = start([])
    const outcomes = await Promise.all([first.out, second.out])
    t.equal(outcomes.filter((o) => o.listening).length, 1, 'one emulator holds the file')
    t.match(outcomes.find((o) => !o.listening)?.stderr, /emulator data file .* is in use by another emulator \(process \d+/, 'the other is refused, naming the one that holds it')
    const holder = outcomes[0]!.listening ? first.child : second.child
    t.equal(await readFile(`${data}.lock`, 'utf8'), `${holder.pid!}\n`, 'the lock names the one that holds the file')
  }
  // A lock left by a kill -9; the first start is held up right after reading it. Each had removed the stale lock by
  // name: the second removed the first's new lock.
  await t.test('a stale lock', async (t) => {
    await race(t, async (data) => {
      await writeFile(`${data}.lock`, '999999999\n')
      return [await slowFs(join(data, '..'), 'readFileSync', '.lock')]
    })
  })
  // And a takeover left by a start killed during it: the first start is held up as it moves it aside.
  await t.test('a stale lock and a stale takeover', async (t) => {
    await race(t, async (data) => {
      await writeFile(`${data}.lock`, '999999999\n')
      await writeFile(`${data}.lock.takeover`, '999999998\n')
      return [await slowFs(join(data, '..'), 'renameSync', '.lock.takeover')]
    })
  })
  // A lock that cannot be removed (a directory) stops the start at once, naming why.
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-lockdir-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'state.json.lock'))
  const stuck = await runToEnd(['--port', '0', '--data', join(dir, 'state.json')])
  t.equal(stuck.code, 1)
  t.match(stuck.stderr, `emulator data file ${join(dir, 'state.json')}: cannot remove its stale lock file ${join(dir, 'state.json.lock')} (EISDIR)`)
  // The lock's own temporary file cannot be made (here a directory holds its name; a full disk would do the same):
  // the coded DataFileError naming the lock, not Node's raw error, and nothing left behind but what was there.
  const other = join(dir, 'other.json')
  const temp = join(dir, `.other.json.${process.pid}.locking`)
  await mkdir(temp)
  await t.rejects(startEmulator({ port: 0, dataFile: other }), { name: 'Error', code: 'OKTA_EMULATOR_DATA_FILE', message: `emulator data file ${other}: cannot create its lock file ${other}.lock (EISDIR`, cause: { code: 'EISDIR' } }, 'a lock that cannot be made: coded, with the cause')
  t.same((await readdir(dir)).sort(), ['.other.json.' + String(process.pid) + '.locking', 'state.json.lock'], 'no lock and no data file made')
})

await t.test('the CLI outlives its closed stdout: a harness that read the listening line and closed the pipe', async (t) => {
  const cli = await run(t, ['--token', 't'])
  cli.child.stdout!.destroy()
  const user = await emuFetch(cli, 'POST', '/api/v1/users', { profile: { login: 'pipe@example.com', email: 'pipe@example.com' } })
  for (const phoneNumber of ['+15550001111', '+15550002222']) {
    const sms = await emuFetch(cli, 'POST', `/api/v1/users/${user.body.id as string}/factors`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
    t.equal(sms.status, 200, 'an sms enrollment echoes its code to the closed pipe')
    await emuFetch(cli, 'DELETE', `/api/v1/users/${user.body.id as string}/factors/${sms.body.id as string}`)
  }
  t.equal((await emuFetch(cli, 'GET', '/api/v1/users/pipe@example.com')).status, 200, 'and the emulator still answers')
  t.equal(cli.child.exitCode, null, 'still running')
})

/** An undici Agent that records each response's path and status (the client's calls, as they go out). */
class RecordingAgent extends Agent {
  readonly #seen: Array<[string, number]>
  constructor (seen: Array<[string, number]>) { super(); this.#seen = seen }
  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const seen = this.#seen
    const wrapped = new Proxy(handler, {
      get (target, prop) {
        const value = Reflect.get(target, prop) as unknown
        if (typeof value !== 'function') return value
        if (prop === 'onResponseStart') return (c: unknown, status: number, ...rest: unknown[]) => { seen.push([options.path, status]); return (value as (...a: unknown[]) => unknown).call(target, c, status, ...rest) }
        if (prop === 'onHeaders') return (status: number, ...rest: unknown[]) => { seen.push([options.path, status]); return (value as (...a: unknown[]) => unknown).call(target, status, ...rest) }
        return (value as (...a: unknown[]) => unknown).bind(target)
      },
    })
    return super.dispatch(options, wrapped)
  }
}

await t.test('the tuning flags take effect: --host, --lockout-threshold, --totp-window, --no-rate-limits, --dpop-api-nonce', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-flags-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const secret = 'JBSWY3DPEHPK3PXP'
  const seed = join(dir, 'seed.json')
  const totpUser = (n: string): SeedUser => ({ id: `00u${n}`, login: `${n}@example.com`, factors: [{ id: `ost${n}`, factorType: 'token:software:totp', sharedSecret: secret }] })
  await writeFile(seed, JSON.stringify([totpUser('lockme'), totpUser('early'), totpUser('now')]))
  const verify = async (emu: Running, n: string, passCode: string): Promise<EmuResponse> =>
    await emuFetch(emu, 'POST', `/api/v1/users/00u${n}/factors/ost${n}/verify`, { passCode })

  // --host: the printed URL is on that interface, and answers there.
  const v6 = await run(t, ['--token', 't', '--host', '::1', '--seed', seed])
  t.match(v6.url, /^http:\/\/\[::1\]:\d+$/)
  t.equal((await emuFetch(v6, 'GET', '/api/v1/users/00ulockme')).status, 200)

  // --lockout-threshold 2: the second failure locks the user (the default locks at the fifth).
  const emu = await run(t, ['--token', 't', '--lockout-threshold', '2', '--totp-window', '0', '--no-rate-limits', '--seed', seed])
  for (let i = 0; i < 2; i++) t.equal((await verify(emu, 'lockme', '000000')).body.errorCode, 'E0000068')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/00ulockme')).body.status, 'LOCKED_OUT', 'locked after 2 failures')
  t.equal((await verify(emu, 'lockme', totp(secret))).body.errorCode, 'E0000069', 'the right code is refused while locked')

  // --totp-window 0: the previous step's code is refused (the default window of 1 accepts it); the current one passes.
  if (Date.now() % 30_000 > 27_000) await new Promise((resolve) => setTimeout(resolve, 3_500)) // not across a step
  t.equal((await verify(emu, 'early', totp(secret, Date.now() - 30_000))).body.errorCode, 'E0000068', 'the code of 30 s ago is refused')
  t.same((await verify(emu, 'now', totp(secret))).body, { factorResult: 'SUCCESS' }, 'the current code passes')

  // --no-rate-limits: more user lists than a minute's limit of that endpoint (600), none refused.
  const statuses = new Set<number>()
  for (let i = 0; i < 610; i++) statuses.add((await emuFetch(emu, 'GET', '/api/v1/users?limit=1')).status)
  t.same([...statuses], [200], '610 lists in a row, no 429')

  // --dpop-api-nonce: a DPoP-bound API call first meets Okta's use_dpop_nonce challenge (401), then passes.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwkFile = join(dir, 'app.jwk.json')
  await writeFile(jwkFile, JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }))
  const withNonce = await run(t, ['--token', 't', '--seed', seed, '--service-app', `0oa-cli:${jwkFile}:okta.users.read`, '--dpop-api-nonce'])
  const seen: Array<[string, number]> = []
  const dispatcher = new RecordingAgent(seen)
  const client = createOktaClient({
    orgUrl: withNonce.url, allowInsecureHttp: true, dispatcher,
    auth: { clientId: '0oa-cli', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, keyId: 'k1', scopes: ['okta.users.read'], dpop: true },
  })
  t.teardown(async () => { await client.close(); await dispatcher.close() })
  t.equal((await client.getUser('00unow')).id, '00unow')
  t.same(seen.filter(([path]) => path.startsWith('/api/')), [['/api/v1/users/00unow', 401], ['/api/v1/users/00unow', 200]], 'the API asked for a nonce first')

  // A seed from a pipe (`--seed <(jq ...)`, `cat seed.json | okta-emulator --seed /dev/stdin`), which can be read
  // once: its users and its service apps both come from that one read (a second read found it empty: exit 1).
  const fifo = join(dir, 'seed.fifo')
  await promisify(execFile)('mkfifo', [fifo])
  const piped = spawn(process.execPath, [CLI, '--port', '0', '--token', 't', '--seed', fifo], { env: { ...process.env, OKTA_EMULATOR_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(async () => { if (piped.exitCode === null && piped.signalCode === null) { piped.kill('SIGKILL'); await exited(piped) } })
  // Opening a FIFO to write waits for its reader, the CLI.
  await writeFile(fifo, JSON.stringify({
    users: [{ id: '00upiped', login: 'piped@example.com' }],
    serviceApps: [{ clientId: '0oa-piped', jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }, scopes: ['okta.users.read'] }],
  }))
  let out = ''
  piped.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    piped.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = LINE.exec(out); if (m !== null && out.includes('State:')) resolve(m[1]!) })
    piped.once('exit', (code) => { reject(new Error(`cli exited ${String(code)}: ${out}`)) })
  })
  t.match(out, /OAuth: +\S+\/oauth2\/v1\/token for 0oa-piped\n/, "the seed's service app, from the same read")
  t.equal((await emuFetch({ url, token: 't' }, 'GET', '/api/v1/users/00upiped')).body.profile?.login, 'piped@example.com', 'and its user')
})

await t.test('--data: a write the file system takes only in part (a disk nearly full, a file size limit) is refused and undone, never half a file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'okta-emu-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const data = join(dir, 'state.json')
  // A 16 KiB file size limit (ulimit -f), as a disk nearly full: past it, write(2) writes what fits and reports only
  // its count, then fails (EFBIG here, ENOSPC there). SIGXFSZ ignored, or the kernel would end the process instead.
  const child = spawn('bash', ['-c', `trap '' XFSZ && ulimit -f 16 && exec "${process.execPath}" "${CLI}" --port 0 --token t --quiet --data "${data}"`], { env: { ...process.env, OKTA_EMULATOR_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited(child) } })
  let out = ''
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = LINE.exec(out); if (m) resolve(m[1]!) })
    child.once('exit', (code) => reject(new Error(`cli exited ${String(code)}: ${out}`)))
  })
  const emu = { url, token: 't' }
  const acknowledged: string[] = []
  let refused: EmuResponse | undefined
  for (let i = 0; i < 200 && refused === undefined; i++) {
    const login = `user${i}@example.com`
    const res = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login, email: login, firstName: 'F'.repeat(40), lastName: 'L'.repeat(40) } })
    if (res.status === 200) acknowledged.push(login)
    else refused = res
  }
  t.same([refused?.status, refused?.body.errorCode], [500, 'E0000009'], `the write past the limit is refused (after ${acknowledged.length} users)`)
  t.ok(acknowledged.length > 3, 'the writes within the limit were taken')
  const state = JSON.parse(await readFile(data, 'utf8')) as { users: Array<{ profile: { login: string } }> }
  t.same(state.users.map((u) => u.profile.login), acknowledged, 'the file is whole JSON and holds every acknowledged user, nothing else')
  t.same((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no partial copy left behind')
  t.match(out, /could not write the data file .* the change was undone/, 'the reason on stderr')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(acknowledged[0]!)}`)).status, 200, 'and it goes on serving')
})
