// The packages as a stranger gets them: every package under packages/ is packed (`pnpm pack:all`), the tarballs and
// the peer packages from the npm registry are installed with npm into an app in the OS temp folder, and there, with
// nothing resolving from this workspace:
// - each tarball has dist, types, README, LICENSE, CHANGELOG, no workspace: range and no source map leaving it;
// - each package loads with `import` and with `require()`;
// - the Express and Fastify quick starts, taken from passport-okta-mfa's README (so the test breaks when the README
//   drifts), compile and run against the installed okta-emulator bin seeded with the README's seed file: password
//   login, wrong code, right code, protected page;
// - the quick starts and a file using every package's types type-check with this repository's TypeScript and
//   with the current TypeScript's `tsc --init` defaults (exactOptionalPropertyTypes on);
// - the installed okta-mfa-gateway bin starts with the environment its README documents.
// Needs the npm registry (npm's default cache is used).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import semver from 'semver'
import t from 'tap'
import { CookieJar } from '../helpers/http.js'

t.setTimeout(600_000)
const exec = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const readme = (path: string): string => readFileSync(join(ROOT, path), 'utf8')
const rootManifest = JSON.parse(readme('package.json')) as { devDependencies: Record<string, string> }

interface Pkg { dir: string, name: string, version: string, bin: Record<string, string> }
/** Every package under packages/ (a new one is covered without editing this test). */
const PACKAGES: Pkg[] = readdirSync(join(ROOT, 'packages')).sort()
  .filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')))
  .map((d) => {
    const m = JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8')) as { name: string, version: string, bin?: Record<string, string> }
    return { dir: d, name: m.name, version: m.version, bin: m.bin ?? {} }
  })
const tarballOf = (p: Pkg): string => `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}.tgz`
const byName = (name: string): Pkg => {
  const p = PACKAGES.find((x) => x.name === name)
  if (p === undefined) throw new Error(`no package ${name} under packages/`)
  return p
}

/** An environment without anything of this run's: no pnpm/npm config, no tap or coverage hooks, no NODE_PATH. */
function outsideEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|tap_|node_options$|node_path$|node_v8_coverage$|_tapjs)/i.test(k)) continue
    env[k] = v
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra }
}

// tap's coverage hook re-adds NODE_OPTIONS (its loader) to every child's environment; `env -u` drops it again
// right before the program starts, so nothing of this workspace is loaded into the app's processes.
const HOOK_VARS = ['NODE_OPTIONS', 'NODE_PATH', 'NODE_V8_COVERAGE', '_TAPJS_PROCESSINFO_EXTERNAL_ID_', '_TAPJS_PROCESSINFO_EXCLUDE_']
const unhooked = (file: string, args: string[]): [string, string[]] => ['env', [...HOOK_VARS.flatMap((v) => ['-u', v]), file, ...args]]
const run = async (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = outsideEnv()): Promise<{ stdout: string, stderr: string }> =>
  await exec(...unhooked(file, args), { cwd, env, maxBuffer: 16 * 1024 * 1024 })

/** The first fenced block of `lang` after `marker` (a heading line or a sentence) of a README. */
function codeBlockAfter (text: string, marker: string, lang: string): string {
  const at = text.indexOf(marker)
  if (at < 0) throw new Error(`README has no ${JSON.stringify(marker)}`)
  const open = text.indexOf(`\n\`\`\`${lang}\n`, at)
  if (open < 0) throw new Error(`no \`\`\`${lang} block after ${marker}`)
  const start = open + lang.length + 5
  return text.slice(start, text.indexOf('\n```', start) + 1)
}

async function freePort (): Promise<number> {
  const s = createServer()
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  const { port } = s.address() as AddressInfo
  await new Promise((resolve) => s.close(resolve))
  return port
}

interface Proc { child: ChildProcess, output: () => string }
const started: ChildProcess[] = []
t.teardown(async () => {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  }
})

/** Starts `file args` in `cwd`, keeping its output. */
function spawnIn (cwd: string, file: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(...unhooked(file, args), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(child)
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  return { child, output: () => out }
}

/** Starts `file args` in `cwd` and resolves once its output matches `ready` (rejects when it exits first). */
async function startIn (cwd: string, file: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Proc & { match: RegExpExecArray }> {
  const proc = spawnIn(cwd, file, args, env)
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${file}: not ready after 30 s: ${proc.output()}`)) }, 30_000)
    const check = (): void => {
      const m = ready.exec(proc.output())
      if (m !== null) { clearTimeout(timer); resolve(m) }
    }
    proc.child.stdout!.on('data', check)
    proc.child.stderr!.on('data', check)
    proc.child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${file} exited with ${code}: ${proc.output()}`)) })
  })
  return { ...proc, match }
}

async function stop (p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill('SIGTERM')
  await once(p.child, 'exit')
}

/** Node versions and whether require() of an ES module works there unflagged (Node's changelogs: 20.19.0, 22.12.0, 23.0.0). */
const REQUIRE_ESM_NODES: ReadonlyArray<readonly [string, boolean]> = [
  ['20.18.3', false], ['20.19.0', true], ['20.20.2', true], ['21.7.3', false], ['22.0.0', false], ['22.11.0', false],
  ['22.12.0', true], ['23.0.0', true], ['24.0.0', true], ['26.0.0', true],
]

// ---------------------------------------------------------------------------------------------------------------
// Pack, then install into an app outside the workspace.

const work = realpathSync(mkdtempSync(join(tmpdir(), 'okta-mfa-outside-')))
t.teardown(() => { rmSync(work, { recursive: true, force: true }) })
const packs = join(work, 'packs')
const app = join(work, 'app')
mkdirSync(join(app, 'src'), { recursive: true })

const PASSPORT_README = readme('packages/passport-okta-mfa/README.md')
const GATEWAY_README = readme('packages/gateway/README.md')
const PEERS: Record<string, string> = {
  express: '^5.0.0',
  'express-session': '^1.18.0',
  passport: '^0.7.0',
  'passport-local': '^1.0.0',
  fastify: '^5.0.0',
  '@fastify/passport': '^3.0.0 || ^4.0.0',
  '@fastify/secure-session': '^8.0.0',
  '@fastify/formbody': '^8.0.0',
}
const TYPES: Record<string, string> = {
  '@types/node': rootManifest.devDependencies['@types/node'] ?? '^20.19.0',
  '@types/express': '^5.0.0',
  '@types/express-session': '^1.18.0',
  '@types/passport': '^1.0.0',
  '@types/passport-local': '^1.0.0',
  // Mercurius's declarations import ws without depending on its types (the gateway's README says to add them).
  '@types/ws': '^8.5.0',
  typescript: rootManifest.devDependencies.typescript ?? '~5.9.3',
  'typescript-latest': 'npm:typescript@latest',
}
await t.test('pack:all, then npm install of the tarballs and the peers into an app outside the workspace', async (t) => {
  t.notOk(work.startsWith(ROOT), `the app (${work}) is outside the workspace`)
  await run(process.execPath, [join(ROOT, 'scripts/pack-all.mjs'), '--out', packs], ROOT, process.env)
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'outside-app',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(PACKAGES.map((p) => [p.name, `file:../packs/${tarballOf(p)}`])),
      ...PEERS,
    },
    devDependencies: TYPES,
  }, null, 2))
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app)
  t.ok(existsSync(join(app, 'node_modules/.package-lock.json')), 'npm installed')
  t.notOk(existsSync(join(app, 'node_modules/@okta-mfa/gateway/node_modules/fastify')), "one Fastify: the gateway uses the app's")
})

await t.test("an app on a Fastify older than the gateway's range: npm refuses (ERESOLVE), never a second Fastify beside the app's", async (t) => {
  const old = join(work, 'old-fastify-app')
  mkdirSync(old, { recursive: true })
  const gateway = PACKAGES.find((p) => p.name === '@okta-mfa/gateway')!
  const deps = Object.fromEntries(PACKAGES.filter((p) => p.name.startsWith('@okta-mfa/')).map((p) => [p.name, `file:../packs/${tarballOf(p)}`]))
  writeFileSync(join(old, 'package.json'), JSON.stringify({ name: 'old-fastify-app', private: true, dependencies: { ...deps, fastify: '5.4.0' } }))
  const refused = await run('npm', ['install', '--dry-run', '--no-audit', '--no-fund'], old).then(() => undefined, (err: { stderr?: string }) => err)
  t.ok(refused !== undefined, `npm install of ${gateway.name} beside fastify 5.4.0 fails`)
  t.match(refused?.stderr ?? '', /ERESOLVE[\s\S]*peer fastify@"\^5\.8\.0" from @okta-mfa\/gateway/, 'naming the peer range')
})

/** Runs a Node script in the app (the script's text is written to a file there first). */
async function nodeInApp (name: string, code: string, env: Record<string, string> = {}): Promise<string> {
  writeFileSync(join(app, name), code)
  return (await run(process.execPath, [name], app, outsideEnv(env))).stdout
}

// ---------------------------------------------------------------------------------------------------------------

await t.test('every tarball: dist, types, README, LICENSE, CHANGELOG; installable ranges; source maps stay inside', async (t) => {
  t.same(readdirSync(packs).sort(), PACKAGES.map(tarballOf).sort(), 'pack:all wrote one tarball per package')
  for (const p of PACKAGES) {
    const dir = join(app, 'node_modules', p.name)
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']) {
      t.ok(existsSync(join(dir, f)), `${p.name}: ${f}`)
    }
    const manifest = readFileSync(join(dir, 'package.json'), 'utf8')
    t.notMatch(manifest, /workspace:/, `${p.name}: no workspace: range left`)
    // ESM-only: `engines` admits only the Nodes that require() an ES module unflagged (20.19+, 22.12+, 23+), so npm
    // warns (or, with engine-strict, refuses) on a 21.x or a 22 before 22.12, where require() throws ERR_REQUIRE_ESM.
    const engines = (JSON.parse(manifest) as { engines?: { node?: string } }).engines?.node ?? '*'
    for (const [node, admitted] of REQUIRE_ESM_NODES) {
      t.equal(semver.satisfies(node, engines), admitted, `${p.name}: engines ${engines} ${admitted ? 'admits' : 'refuses'} Node ${node}`)
    }
    for (const [bin, target] of Object.entries(p.bin)) {
      t.match(readFileSync(join(dir, target), 'utf8'), /^#!\/usr\/bin\/env node\n/, `${p.name}: bin ${bin} has a node shebang`)
    }
    const maps: string[] = []
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const f = join(d, e)
        if (statSync(f).isDirectory()) { if (e !== 'node_modules') walk(f) } else if (e.endsWith('.map')) maps.push(f)
      }
    }
    walk(dir)
    t.ok(maps.length > 0, `${p.name}: ships source maps (${maps.length})`)
    const outside = maps.flatMap((m) => {
      const map = JSON.parse(readFileSync(m, 'utf8')) as { sources: string[], sourceRoot?: string }
      return map.sources
        .map((s) => resolve(dirname(m), map.sourceRoot ?? '', s))
        .filter((s) => !s.startsWith(dir + sep) || !existsSync(s))
        .map((s) => `${relative(dir, m)} -> ${relative(dir, s)}`)
    })
    t.same(outside, [], `${p.name}: every source map points at a file inside the package`)
  }
})

await t.test('publint and @arethetypeswrong/cli are clean for every tarball (pnpm check:packages)', async (t) => {
  const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/check-packages.mjs'), '--packs', packs], ROOT, process.env)
  t.match(stdout, 'check:packages: publint and attw clean for every package')
  for (const p of PACKAGES) t.match(stdout, `${p.name} v${p.version}`, `attw checked ${p.name}`)
})

await t.test('import and require() of every package, all resolved inside the app', async (t) => {
  const names = [...PACKAGES.map((p) => p.name), ...Object.keys(PEERS)]
  const cjs = JSON.parse(await nodeInApp('load.cjs', `
    const out = { '(process)': { path: String(process.env.NODE_OPTIONS ?? '') + process.execArgv.join(' '), keys: [] } }
    for (const name of ${JSON.stringify(names)}) {
      out[name] = { path: require.resolve(name), keys: Object.keys(require(name)).sort() }
    }
    console.log(JSON.stringify(out))
  `)) as Record<string, { path: string, keys: string[] }>
  const esm = JSON.parse(await nodeInApp('load.mjs', `
    import { fileURLToPath } from 'node:url'
    const out = {}
    for (const name of ${JSON.stringify(names)}) {
      out[name] = { path: fileURLToPath(import.meta.resolve(name)), keys: Object.keys(await import(name)).filter((k) => k !== 'default' && k !== 'module.exports').sort() }
    }
    console.log(JSON.stringify(out))
  `)) as Record<string, { path: string, keys: string[] }>
  t.equal(cjs['(process)']?.path, '', 'no NODE_OPTIONS or loader flags reach the app')
  for (const name of names) {
    t.ok(cjs[name]?.path.startsWith(join(app, 'node_modules') + sep), `require.resolve(${name}) = ${cjs[name]?.path}`)
    t.ok(esm[name]?.path.startsWith(join(app, 'node_modules') + sep), `import.meta.resolve(${name}) = ${esm[name]?.path}`)
  }
  for (const p of PACKAGES) {
    t.same(cjs[p.name]?.keys, esm[p.name]?.keys, `${p.name}: require() gives the same exports as import (${esm[p.name]?.keys.length ?? 0})`)
  }
})

// The quick starts, exactly as the README shows them, with the one edit it asks for against the emulator.
const EXPRESS_QS = codeBlockAfter(PASSPORT_README, '## Quick start: Express', 'ts')
const FASTIFY_QS = codeBlockAfter(PASSPORT_README, '## Quick start: Fastify', 'ts')
function forEmulator (code: string): string {
  const lines = code.split('\n')
  const at = lines.filter((l) => /^\s*\/\/ allowInsecureHttp: true,/.test(l))
  if (at.length !== 1) throw new Error(`expected one commented "allowInsecureHttp: true," line in the quick start, found ${at.length}`)
  return lines.map((l) => l.replace(/^(\s*)\/\/ (allowInsecureHttp: true,)/, '$1$2')).join('\n')
}
writeFileSync(join(app, 'src/express-quickstart.ts'), forEmulator(EXPRESS_QS))
writeFileSync(join(app, 'src/fastify-quickstart.ts'), forEmulator(FASTIFY_QS))
// @fastify/passport's documented clearSessionOnLogin: false, with which logOut() removes only the user: the quick
// start's logout must still drop the MFA step.
const AUTHENTICATOR = "new Authenticator({ clearSessionIgnoreFields: ['returnTo'] })"
if (!FASTIFY_QS.includes(AUTHENTICATOR)) throw new Error(`the Fastify quick start no longer has ${AUTHENTICATOR}`)
writeFileSync(join(app, 'src/fastify-keep-quickstart.ts'), forEmulator(FASTIFY_QS).replace(AUTHENTICATOR, "new Authenticator({ clearSessionIgnoreFields: ['returnTo'], clearSessionOnLogin: false })"))

// The README's revocation hook (Logout and revocation) as it shows it: one middleware for both stacks, and the
// store-outage variant of a hook of the app's own.
const SIGN_OUT = codeBlockAfter(PASSPORT_README, '`signOutRevoked` does it before every route', 'ts')
const SIGN_OUT_OWN = codeBlockAfter(PASSPORT_README, 'call it from a hook of your own', 'ts')
for (const [file, block] of [['sign-out-revoked.ts', SIGN_OUT], ['sign-out-revoked-own.ts', SIGN_OUT_OWN]] as const) {
  const stacks = block.replace(/^app\.(.*\/\/ Fastify)$/m, 'fastifyApp.$1').replace(/^app\.(.*\/\/ Express)$/m, 'expressApp.$1')
  writeFileSync(join(app, 'src', file), [
    "import Fastify from 'fastify'", "import express from 'express'", "import { MemoryRevocationStore } from 'passport-okta-mfa'",
    'const revocations = new MemoryRevocationStore()', 'const app = Fastify()', 'const fastifyApp = app', 'const expressApp = express()',
    stacks, 'export { fastifyApp, expressApp }', '',
  ].join('\n'))
}

// A file touching every package's types: the main API of the known ones, a namespace import of each (new ones too).
writeFileSync(join(app, 'src/uses-types.ts'), `
import { createOktaClient, type OktaClient, type OktaClientOptions } from '@okta-mfa/client'
import { startEmulator, totpCodeOf } from '@okta-mfa/emulator'
import { oktaMfaGateway, loadServerConfig, type GatewayServerConfig } from '@okta-mfa/gateway'
import { OktaMfaStrategy, requireMfa, requireMfaFastify, isMfaFailCode, type OktaMfaStrategyOptions } from 'passport-okta-mfa'
${PACKAGES.map((p, i) => `import * as pkg${i} from '${p.name}'`).join('\n')}
import * as pkgCore from '@okta-mfa/core'

interface User { id: string, email: string }
const clientOptions: OktaClientOptions = { orgUrl: 'https://dev-1.okta.com', token: 'x' }
export const client: OktaClient = createOktaClient(clientOptions)
export const emulator = startEmulator({ port: 0, quiet: true })
export const code: string = totpCodeOf('JBSWY3DPEHPK3PXP')
export const gateway = oktaMfaGateway
export const config: GatewayServerConfig = loadServerConfig(process.env)
const strategyOptions: OktaMfaStrategyOptions<User> = { client, resolveOktaUser: (user) => ({ login: user.email }) }
export const strategy = new OktaMfaStrategy<User>(strategyOptions)
export const guards = [requireMfa({ redirectTo: '/mfa' }), requireMfaFastify({ loginRedirectTo: '/login' })]
export const known: boolean = isMfaFailCode('ENROLLMENT_REQUIRED')
export const modules: object[] = [${PACKAGES.map((_p, i) => `pkg${i}`).join(', ')}]
// Options read from the environment, each possibly undefined: accepted under exactOptionalPropertyTypes.
export function fromEnv (env: NodeJS.ProcessEnv): unknown[] {
  const n = (v: string | undefined): number | undefined => v === undefined ? undefined : Number(v)
  return [
    createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: env.OKTA_API_TOKEN, timeoutMs: n(env.T), userAgent: env.UA, allowInsecureHttp: undefined, rateLimitMaxWaitMs: n(env.W) }),
    createOktaClient({ orgUrl: 'https://dev-1.okta.com', auth: { clientId: 'c', privateKey: 'k', keyId: env.OKTA_KEY_ID, scopes: ['okta.users.read'], dpop: undefined } }),
    client.getUser('ada', { signal: undefined, requestId: env.RID, deadline: n(env.D) }),
    new pkgCore.MemoryRevocationStore({ clock: undefined, maxEntries: n(env.M) }),
    pkgCore.createRedisStores('redis://127.0.0.1:6379', { prefix: env.P, commandTimeoutMs: n(env.C), onError: undefined, onStatusChange: undefined }),
    startEmulator({ port: n(env.PORT), host: env.HOST, token: env.TOKEN, dataFile: env.DATA }),
    startEmulator({
      seed: env.SEED, totpWindow: n(env.TW), lockoutThreshold: n(env.LT), rejectReplayedCodes: undefined, logger: undefined,
      quiet: undefined, issuer: env.ISSUER, bodyLimit: n(env.BL), maxUsers: n(env.MU), maxMessages: n(env.MM),
      rateLimits: { windowMs: n(env.RW), limits: { users: n(env.RU) } }, serviceApps: undefined, dpopApiNonce: undefined,
    }),
    startEmulator({ rateLimits: undefined, serviceApps: [{ clientId: 'c', jwks: { keys: [] }, scopes: [], dpop: undefined }] }),
    emulator.then((emu) => emu.messages({ userId: env.U, factorId: env.F, channel: undefined })),
  ]
}
`)
// A CommonJS consumer in TypeScript (require() of the ESM packages, typed by TypeScript >= 5.8 under nodenext).
writeFileSync(join(app, 'src/cjs-consumer.cts'), `
import mfa = require('passport-okta-mfa')
import okta = require('@okta-mfa/client')
const strategy: typeof mfa.OktaMfaStrategy = mfa.OktaMfaStrategy
console.log(typeof strategy, typeof okta.createOktaClient)
`)

const base = JSON.parse(readme('tsconfig.base.json')) as { compilerOptions: Record<string, unknown> }
const { composite: _c, declaration: _d, declarationMap: _dm, sourceMap: _s, ...repoOptions } = base.compilerOptions
writeFileSync(join(app, 'tsconfig.repo.json'), JSON.stringify({
  compilerOptions: { ...repoOptions, rootDir: 'src', outDir: 'dist' },
  include: ['src'],
}, null, 2))

async function tsc (which: string, args: string[]): Promise<string> {
  try {
    await run(process.execPath, [join(app, 'node_modules', which, 'bin/tsc'), ...args], app)
    return ''
  } catch (err) {
    return `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? String(err)}`
  }
}
const versionOf = (pkg: string): string => (JSON.parse(readFileSync(join(app, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version

await t.test("tsc with this repository's TypeScript and options: the quick starts and every package's types compile", async (t) => {
  t.equal(await tsc('typescript', ['-p', 'tsconfig.repo.json']), '', `TypeScript ${versionOf('typescript')} with this repository's compiler options (and emits the apps)`)
  const { stdout } = await run(process.execPath, ['dist/cjs-consumer.cjs'], app)
  t.equal(stdout, 'function function\n', 'the compiled CommonJS consumer runs (require of the ESM packages)')
})

await t.test('with skipLibCheck off, every declaration file type-checks; optional peers stay out of the declarations', async (t) => {
  t.equal(await tsc('typescript', ['-p', 'tsconfig.repo.json', '--noEmit', '--skipLibCheck', 'false']), '', 'no error in any .d.ts')
  // An app without an optional peer (an Express app has no fastify, and no ioredis unless it shares attempts through
  // Redis) type-checks only if no declaration of the packages it installs imports one: this app has them all.
  for (const p of PACKAGES) {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', p.name, 'package.json'), 'utf8')) as { peerDependenciesMeta?: Record<string, { optional?: boolean }> }
    const optional = Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional === true).map(([name]) => name)
    const dist = join(app, 'node_modules', p.name, 'dist')
    const declarations = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'))
    const imports = (peer: string): RegExp => {
      const name = peer.replace(/[/.]/g, '\\$&')
      return new RegExp(`^(?:import|export)\\b[^\\n]*from ['"]${name}(?:/[^'"]*)?['"]|import\\(['"]${name}(?:/[^'"]*)?['"]\\)`, 'm')
    }
    const importers = declarations.filter((f) => optional.some((peer) => imports(peer).test(readFileSync(join(dist, f), 'utf8'))))
    t.same(importers, [], `${p.name}: no declaration imports ${optional.join(', ') || 'an optional peer'}`)
  }
})

// Issue 10, items 3 and 4: types that compile under today's defaults (exactOptionalPropertyTypes).
await t.test("issue 10 item 4: the quick starts and every package's types compile under the latest TypeScript's tsc --init defaults", async (t) => {
  // `tsc --init`, plus Node's types and lib as its own comment says to add for Node.
  const initDir = join(app, 'init')
  mkdirSync(initDir, { recursive: true })
  await run(process.execPath, [join(app, 'node_modules/typescript-latest/bin/tsc'), '--init'], initDir)
  const init = readFileSync(join(initDir, 'tsconfig.json'), 'utf8')
  t.match(init, /"exactOptionalPropertyTypes": true/, 'its defaults turn exactOptionalPropertyTypes on')
  writeFileSync(join(app, 'tsconfig.json'), init)
  rmSync(initDir, { recursive: true })
  t.equal(await tsc('typescript-latest', ['-p', 'tsconfig.json', '--noEmit', '--types', 'node', '--lib', 'esnext']), '',
    `TypeScript ${versionOf('typescript-latest')} with its tsc --init defaults (exactOptionalPropertyTypes)`)
})

// The README's seed file and emulator command for a first try.
const SEED = codeBlockAfter(PASSPORT_README, '## Before the first code: the Okta user and their factor', 'json')
writeFileSync(join(app, 'seed.json'), SEED)
const emulatorLine = /^npx okta-emulator (.*)$/m.exec(PASSPORT_README)?.[1]
const secret = /"sharedSecret": "([A-Z2-7]+)"/.exec(SEED)?.[1]
const printCode = /`(node -e "import\('@okta-mfa\/emulator'\)[^`]*)`/.exec(PASSPORT_README)?.[1]

async function startEmulator (seed: string | undefined): Promise<{ url: string, token: string }> {
  const bin = join(app, 'node_modules/.bin', Object.keys(byName('@okta-mfa/emulator').bin)[0] ?? 'okta-emulator')
  let args = (emulatorLine ?? '').split(/\s+/).map((a) => (a === '7070' ? '0' : a))  // any free port: tests run in parallel
  if (seed === undefined) args = args.filter((a, i) => a !== '--seed' && args[i - 1] !== '--seed')
  else args = args.map((a) => (a === 'seed.json' ? seed : a))
  const emu = await startIn(app, bin, args, outsideEnv(), /okta-emulator listening url=(\S+) token=(\S+)\n/)
  return { url: emu.match[1]!, token: emu.match[2]! }
}

async function startQuickStart (stack: 'express' | 'fastify' | 'fastify-keep', okta: { url: string, token: string }): Promise<{ url: string, proc: Proc }> {
  const port = await freePort()
  const env = outsideEnv({
    PORT: String(port),
    OKTA_ORG_URL: okta.url,
    OKTA_API_TOKEN: okta.token,
    SESSION_SECRET: 'a session secret for this test only',
    SESSION_KEY: 'a'.repeat(64),
  })
  const url = `http://127.0.0.1:${port}`
  const proc = spawnIn(app, process.execPath, [`dist/${stack}-quickstart.js`], env)
  for (let i = 0; i < 200 && proc.child.exitCode === null; i++) {
    if (await fetch(`${url}/login`).then((r) => r.status === 200, () => false)) return { url, proc }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${stack} quick start did not answer on ${url}: ${proc.output()}`)
}

const page = { accept: 'text/html' }

await t.test('the quick starts run as the README shows them, against the installed emulator seeded from the README', async (t) => {
  t.ok(emulatorLine, 'the README shows the emulator command')
  t.ok(secret, "the README's seed holds a TOTP secret")
  t.ok(printCode, 'the README shows how to print the current code')
  for (const stack of ['express', 'fastify', 'fastify-keep'] as const) {
    await t.test(stack, async (t) => {
      const okta = await startEmulator('seed.json')
      const { url, proc } = await startQuickStart(stack, okta)
      t.teardown(() => stop(proc))
      const jar = new CookieJar(url)
      let res = await jar.fetch('/account', { headers: page })
      t.equal(res.status, 302, 'a page without a login redirects')
      t.equal(res.location, '/login', '... to the login page (no raw 401 on a page)')
      res = await jar.fetch('/login', { form: { username: 'ada', password: 'correct horse' } })
      t.equal(res.location, '/mfa', 'password login goes to /mfa')
      res = await jar.fetch('/account', { headers: page })
      t.equal(res.location, '/mfa', 'the protected page needs the MFA step')
      const { stdout } = await run('sh', ['-c', printCode!], app)
      const code = stdout.trim()
      t.match(code, /^\d{6}$/, "the README's command prints the current code")
      res = await jar.fetch('/mfa', { form: { passCode: String((Number(code) + 500_000) % 1_000_000).padStart(6, '0') } })
      t.equal(res.status, 302, 'a wrong code is a fail, not an error')
      t.equal(res.location, '/mfa', 'a wrong code goes back to /mfa')
      res = await jar.fetch('/mfa', { headers: page })
      t.match(res.text, /^<p>That code didn't match\. Try again\.<\/p><form /, 'the page shows the fail message')
      // Malformed codes count no attempt: only the page's removal keeps their messages from piling up in the session.
      for (let i = 0; i < 3; i++) await jar.fetch('/mfa', { form: { passCode: 'x' } })
      res = await jar.fetch('/mfa', { headers: page })
      t.match(res.text, /^<p>The code is 6 digits\.<\/p><form /, 'only the last message is shown')
      res = await jar.fetch('/mfa', { headers: page })
      t.match(res.text, /^<p><\/p><form /, 'and once: the page removed them from the session')
      res = await jar.fetch('/mfa', { form: { passCode: code } })
      t.equal(res.location, '/account', 'the right code goes to the protected page')
      res = await jar.fetch('/account', { headers: page })
      t.equal(res.status, 200)
      t.equal(res.text, 'hello ada', 'the protected page')
      // Logout drops the MFA step: the next password login in this browser asks for a code again.
      res = await jar.fetch('/logout', { form: {} })
      t.equal(res.location, '/login', 'logout goes to the login page')
      res = await jar.fetch('/login', { form: { username: 'ada', password: 'correct horse' } })
      t.equal(res.location, '/mfa', 'a new password login goes to /mfa')
      res = await jar.fetch('/account', { headers: page })
      t.equal(res.location, '/mfa', 'and the protected page needs the code again')
    })
  }
})

// Okta unreachable: the quick starts' error handlers answer a page with the MfaError's status, not a stack trace.
await t.test('the quick starts with Okta unreachable: 503 and a short page from their error handler, no stack trace', async (t) => {
  for (const stack of ['express', 'fastify'] as const) {
    const { url, proc } = await startQuickStart(stack, { url: `http://127.0.0.1:${await freePort()}`, token: 'dev-token' })
    const jar = new CookieJar(url)
    await jar.fetch('/login', { form: { username: 'ada', password: 'correct horse' } })
    const res = await jar.fetch('/mfa', { form: { passCode: '123456' }, headers: page })
    t.equal(res.status, 503, `${stack}: UPSTREAM_UNAVAILABLE's status`)
    t.equal(res.text, 'Sign-in is unavailable right now. Try again in a moment.', `${stack}: the handler's page`)
    t.match(String(res.headers['content-type']), /^text\/plain/, `${stack}: a text page, not JSON or an HTML trace`)
    await stop(proc)
  }
})

// Issue 10, item 4: the quick start copied into a new app against an Okta org that does not know the user yet.
await t.test('issue 10 item 4: a user with no Okta account or no factor gets a fail (back to /mfa), never a 500', async (t) => {
  const cases = [
    ['express', 'no Okta account', undefined],
    ['fastify', 'no Okta account', undefined],
    ['express', 'no factor', '[{ "login": "ada@example.com" }]'],
  ] as const
  for (const [stack, what, seed] of cases) {
    let seedFile: string | undefined
    if (seed !== undefined) {
      seedFile = join(app, `seed-${stack}-nofactor.json`)
      writeFileSync(seedFile, seed)
    }
    const okta = await startEmulator(seedFile)
    const { url, proc } = await startQuickStart(stack, okta)
    const jar = new CookieJar(url)
    await jar.fetch('/login', { form: { username: 'ada', password: 'correct horse' } })
    const res = await jar.fetch('/mfa', { form: { passCode: '123456' } })
    t.equal(res.status, 302, `${stack}, ${what}: a fail, not ${res.status} ${res.text.slice(0, 200)}`)
    t.equal(res.location, '/mfa', `${stack}, ${what}: back to the MFA page`)
    t.notMatch(proc.output(), /\n\s+at /, `${stack}, ${what}: no stack trace in the app's output`)
    await stop(proc)
  }
})

await t.test('the installed okta-mfa-gateway bin starts as its README shows it against the emulator', async (t) => {
  // The README's block: `VAR=value ... npx okta-mfa-gateway`, then curl requests.
  const block = codeBlockAfter(GATEWAY_README, 'For a first try without an Okta org', 'sh').replace(/\\\n/g, ' ')
  const command = block.split('\n').find((l) => l.includes('npx okta-mfa-gateway')) ?? ''
  const readmeEnv = Object.fromEntries([...command.matchAll(/\b([A-Z_]+)=(\$\([^)]*\)|\S+)/g)].map((m) => [m[1]!, m[2]!]))
  t.same(Object.keys(readmeEnv).sort(), ['OKTA_ALLOW_INSECURE_HTTP', 'OKTA_API_TOKEN', 'OKTA_ORG_URL', 'PORT', 'SESSION_KEY'], 'the README sets these')
  for (const name of Object.keys(readmeEnv)) t.match(GATEWAY_README, `| \`${name}\` |`, `the README's table documents ${name}`)
  const okta = await startEmulator('seed.json')
  t.equal(readmeEnv.OKTA_API_TOKEN, okta.token, "the README's token is the emulator's (--token dev-token)")
  const port = await freePort()
  const env: Record<string, string> = {
    ...readmeEnv,
    OKTA_ORG_URL: okta.url,                     // the README's 7070; this emulator listens on a free port
    SESSION_KEY: 'b'.repeat(64),                // $(openssl rand -hex 32)
    PORT: String(port),                         // the README's 4000; tests run in parallel
  }
  const bin = join(app, 'node_modules/.bin', Object.keys(byName('@okta-mfa/gateway').bin)[0] ?? 'okta-mfa-gateway')
  const proc = spawnIn(app, bin, [], outsideEnv(env))
  t.teardown(() => stop(proc))
  const url = `http://127.0.0.1:${port}`
  let health = 0
  for (let i = 0; i < 200 && health !== 200 && proc.child.exitCode === null; i++) {
    health = await fetch(`${url}/healthz`).then((r) => r.status, () => 0)
    if (health !== 200) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (health !== 200) t.comment(proc.output())
  t.equal(health, 200, 'GET /healthz')
  t.equal((await fetch(`${url}/readyz`)).status, 200, 'GET /readyz: the emulator answers')
  const query = /-d '([^']*)'/.exec(block)?.[1]
  t.ok(query, 'the README shows a GraphQL request')
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query ?? '' })
  const body = await res.json() as { data?: unknown, errors?: Array<{ extensions?: { code?: string } }> }
  t.equal(res.status, 401, 'no signed-in user: 401')
  t.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'with the code the README shows')
  const shown = /^# (\{"data":(\w+),"errors":\[\{"message":)/m.exec(block)
  t.ok(shown, 'the README shows the answer')
  t.equal(JSON.stringify(body.data ?? null), shown?.[2], "the README's data field")
  // Started by another path than its own (no ".js", a wrapper): it still runs, and says what is missing.
  const bare = await run(process.execPath, [join(app, 'node_modules/@okta-mfa/gateway/dist/bin')], app, outsideEnv({})).then(() => undefined, (e: unknown) => e as { code?: number, stderr?: string })
  t.equal(bare?.code, 1, 'the bin run by a path without .js exits 1 on an empty environment (it used to exit 0 without a word)')
  t.match(bare?.stderr, /OKTA_ORG_URL is missing/)
})
