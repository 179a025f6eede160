// Not a benchmark (run.ts skips it): sums a V8 .cpuprofile (from `node --cpu-prof`) by self time, per package and per
// function, and by the gateway's components, so BENCHMARKS.md can say where the time went.
//   node bench/dist/cpuprofile-summary.js FILE.cpuprofile [top N]
import { readFile } from 'node:fs/promises'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number, children?: number[] }
interface Profile { nodes: Node[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

const file = process.argv[2]
if (file === undefined) throw new Error('usage: cpuprofile-summary FILE [N]')
const top = Number(process.argv[3] ?? 25)
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))

// Self time per node from the samples and their time deltas (µs).
const self = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0))
}

/** The package a script belongs to: the pnpm store name, our workspace package, node internals, or V8's own. */
function packageOf (url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native/v8)'
  if (url.startsWith('node:')) return 'node:' + (url.slice(5).split('/')[1] ?? url.slice(5))
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pnpm !== null) return pnpm[1]!
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm !== null) return nm[1]!
  const ws = /packages\/([^/]+)\//.exec(url)
  if (ws !== null) return `@okta-mfa/${ws[1]!}`
  return url.replace(/^file:\/\//, '')
}

// Percentages are of the busy time: idle (waiting for I/O, or for the other cases' slices) is left out.
const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id))
for (const id of idle) self.delete(id)
const total = [...self.values()].reduce((a, b) => a + b, 0)
const pkgs = new Map<string, number>()
const fns = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)!
  const pkg = packageOf(n.callFrame.url, n.callFrame.functionName)
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us)
  const file = n.callFrame.url.split('/').slice(-2).join('/')
  const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1} [${pkg}]`
  fns.set(key, (fns.get(key) ?? 0) + us)
}
const pct = (us: number): string => `${(100 * us / total).toFixed(1).padStart(5)}%`
console.log(`busy (sampled, idle left out) ${(total / 1000).toFixed(0)} ms`)
console.log('\nself time by package:')
for (const [k, v] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`)
console.log('\nself time by function:')
for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`)

// Self time by the gateway's components (what BENCHMARKS.md reports): each sample goes to exactly one component,
// by the script its frame is in; the rest of the stack does not count, so hook chains do not double-count.
const SELF_COMPONENTS: Array<[string, RegExp]> = [
  ['graphql parse', /graphql\/language\//],
  ['graphql validate', /graphql\/validation\//],
  ['graphql execute (execution, types, utils)', /\/graphql\//],
  ['mercurius', /\/mercurius[@/]|graphql-jit/],
  ['cost check (cost.ts, limits.ts)', /gateway\/dist\/(cost|limits)\.js/],
  ['gateway (plugin, scope, resolvers, errors)', /gateway\/dist\//],
  ['secure-session (sodium, cookies)', /secure-session|sodium|\/cookie[@/]|@fastify\+cookie|@fastify\/cookie/],
  ['attempt limiter', /mfa-core\/dist\/(attempts|stores\/)/],
  ['session state, subject, passcode check (@okta-mfa/core)', /mfa-core\/dist\//],
  ['logging (pino, redaction)', /\/pino[@/-]|@pinojs|fast-redact|sonic-boom|safe-stable-stringify/],
  ['@okta-mfa/client', /okta-client\/dist\//],
  ['undici', /\/undici[@/]|^wasm:/],
  ['fastify (core, router, body parser, serializer)', /fastify|find-my-way|secure-json-parse|avvio|light-my-request|toad-cache|fast-json-stringify|process-warning|abstract-logging|rfdc|ajv/],
  ['node:crypto (hashes)', /^node:internal\/crypto/],
  ['module loading (start-up)', /^node:internal\/modules/],
]
const selfComponents = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)!
  const url = n.callFrame.url
  let name: string
  if (n.callFrame.functionName === '(garbage collector)') name = 'gc'
  else if (url === '' && /^write|^read/.test(n.callFrame.functionName)) name = 'socket syscalls (writev, read)'
  else if (url === '') name = 'V8/native other (microtasks, builtins)'
  else name = SELF_COMPONENTS.find(([, rx]) => rx.test(url))?.[0] ?? (url.startsWith('node:') ? 'node: http, net, streams, events, timers' : 'other')
  selfComponents.set(name, (selfComponents.get(name) ?? 0) + us)
}
const perRequest = Number(process.env.CPU_US_PER_REQUEST ?? NaN)
console.log('\nself time by component' + (Number.isFinite(perRequest) ? ` (µs of ${perRequest} µs per request)` : '') + ':')
for (const [k, v] of [...selfComponents].sort((a, b) => b[1] - a[1])) {
  console.log(`${pct(v)}${Number.isFinite(perRequest) ? ` ${(perRequest * v / total).toFixed(1).padStart(6)} µs` : ''}  ${k}`)
}

// Inclusive ("total") time of nodes whose frames match a component, counted once per sample however deep the match.
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const components: Array<[string, (n: Node) => boolean]> = [
  ['graphql parse', (n) => /graphql\/language\/parser/.test(n.callFrame.url)],
  ['graphql validate', (n) => /graphql\/validation\//.test(n.callFrame.url)],
  ['graphql execute', (n) => /graphql\/execution\//.test(n.callFrame.url)],
  ['cost check (cost.ts)', (n) => /gateway\/dist\/cost\.js/.test(n.callFrame.url)],
  ['secure-session', (n) => /@fastify\+secure-session|secure-session\/index/.test(n.callFrame.url)],
  ['sodium (session crypto)', (n) => /sodium/.test(n.callFrame.url)],
  ['attempt limiter', (n) => /mfa-core\/dist\/(attempts|stores\/)/.test(n.callFrame.url)],
  ['session state / subject', (n) => /mfa-core\/dist\/(session-state|okta-session|subject|resolve-user)/.test(n.callFrame.url)],
  ['pino (logging)', (n) => /\/pino[@/]|pino-std|fast-redact|sonic-boom/.test(n.callFrame.url)],
  ['@okta-mfa/client', (n) => /okta-client\/dist\//.test(n.callFrame.url)],
  ['undici', (n) => /\/undici[@/]/.test(n.callFrame.url)],
  ['mercurius', (n) => /\/mercurius[@/]/.test(n.callFrame.url)],
  ['fastify', (n) => /\/fastify[@/]|find-my-way|light-my-request|avvio|@fastify\+(error|ajv|fast-json)/.test(n.callFrame.url)],
  ['gc', (n) => n.callFrame.functionName === '(garbage collector)'],
]
console.log('\ninclusive time by component (a sample counts once per component on its stack):')
for (const [name, match] of components) {
  let us = 0
  for (const [id, t] of self) {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (match(byId.get(cur)!)) { us += t; break }
    }
  }
  console.log(`${pct(us)}  ${name}`)
}

// With a third argument: the callers (up to 6 frames) of the functions whose name matches it, by self time.
const callersOf = process.argv[4]
if (callersOf !== undefined) {
  const stacks = new Map<string, number>()
  for (const [id, us] of self) {
    if (!new RegExp(callersOf).test(byId.get(id)!.callFrame.functionName)) continue
    const frames: string[] = []
    for (let cur = parent.get(id); cur !== undefined && frames.length < 6; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame
      frames.push(`${f.functionName || '(anon)'}@${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`)
    }
    const key = frames.join(' < ')
    stacks.set(key, (stacks.get(key) ?? 0) + us)
  }
  console.log(`\ncallers of /${callersOf}/:`)
  for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(v)}  ${k}`)
}
