// Guards the gateway against documents that cost more than linear time: the worst documents that fit in the body and
// token limits (fragment doubling, cycles, wide aliases, deep nesting, many fragments, long strings, many variables and
// directives, a JSON AST instead of GraphQL) are refused with a coded error, a request sent during a burst of them is
// served, and none of them holds the event loop long (measured with monitorEventLoopDelay, not wall time).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parse } from 'graphql'
import t from 'tap'
import { limitRules, DEFAULT_LIMITS } from '@okta-mfa/gateway'
import { codeOf, gql, startGatewayApp } from '../helpers/gateway-app.js'
import { withLoopDelay } from '../helpers/loop-delay.js'

/** Each fragment spreads the next one twice: 2^n fields once expanded, in a few hundred bytes. */
function doubling (n: number, leaf = 'userKey', head = 'query Q { viewer { ...F0 } }'): string {
  let s = `${head} `
  for (let i = 0; i < n; i++) s += `fragment F${i} on Viewer { ...F${i + 1} ...F${i + 1} } `
  return `${s}fragment F${n} on Viewer { ${leaf} }`
}

const WORST: ReadonlyArray<[string, string, RegExp, string?]> = [
  ['fragment doubling, 24 levels (the report)', doubling(24), /selects more than 100 fields/],
  ['fragment doubling, as deep as the token limit allows', doubling(95), /selects more than 100 fields/],
  ['doubling of aliases', doubling(60, 'a: userKey'), /more than 5 aliases/],
  ['doubling in a fragment no operation uses', doubling(95, 'userKey', 'query Q { viewer { userKey } }'), /Fragment F0 selects more than 100 fields/],
  ['doubling of mutations through a fragment', doubling(40, 'verifyFactor(factorId: "f", passCode: "123456") { result }', 'mutation { ...F0 }').replace(/on Viewer/g, 'on Mutation'), /more than 100 fields|one per request/],
  ['a fragment cycle', 'query { viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }', /Fragment A spreads itself/],
  ['a doubling self-cycle', 'query { viewer { ...A } } fragment A on Viewer { userKey ...A ...A }', /spreads itself/],
  ['wide aliases', `{ ${Array.from({ length: 150 }, (_, i) => `a${i}: viewer { userKey }`).join(' ')} }`, /more than 5 aliases/],
  ['wide same-name fields (quadratic for field merging)', `{ ${'factors { id } '.repeat(200)} }`, /selects more than 100 fields/],
  ['deep nesting', `{ ${'viewer { '.repeat(300)}userKey${' }'.repeat(300)} }`, /nested more than 6 levels deep/],
  ['nested inline fragments', `{ viewer { ${'... on Viewer { '.repeat(300)}userKey${' }'.repeat(300)} } }`, /tokens/],
  ['many fragments', `{ viewer { ${Array.from({ length: 120 }, (_, i) => `...F${i}`).join(' ')} } } ${Array.from({ length: 120 }, (_, i) => `fragment F${i} on Viewer { userKey }`).join(' ')}`, /tokens|more than/],
  ['many variables', `query (${Array.from({ length: 400 }, (_, i) => `$v${i}: Int`).join(' ')}) { viewer { userKey } }`, /tokens/],
  ['many directives', `{ viewer { userKey ${'@skip(if: false) '.repeat(300)}} }`, /tokens/],
  ['many variables, within the tokens', `query (${Array.from({ length: 230 }, (_, i) => `$v${i}: Int`).join(' ')}) { viewer { userKey } }`, /is never used/],
  ['many directives, within the tokens', `{ viewer { userKey ${'@skip(if: false) '.repeat(130)}} }`, /can only be used once/],
  ['a long string argument', `mutation { verifyFactor(factorId: "${'f'.repeat(7000)}", passCode: 1) { result } }`, /String cannot represent/],
  ['a JSON AST instead of GraphQL', JSON.stringify(parse(doubling(6)), (k, v: unknown) => k === 'loc' ? undefined : v), /must be a GraphQL document/],
]

await t.test('the worst documents within the body and token limits are refused, and the event loop stays free', async (t) => {
  const gw = await startGatewayApp(t, undefined)
  const jar = gw.jar()
  for (const [name, query] of WORST) t.ok(Buffer.byteLength(JSON.stringify({ query })) <= 8192, `${name} fits in the body limit`)

  // Everything at once, three times over, with an innocent request in the middle of the burst.
  const burst = [...WORST, ...WORST, ...WORST].map(async ([name, query, message, code]) => {
    const res = await gql(jar, query)
    return { name, message, code: code ?? 'GRAPHQL_VALIDATION_FAILED', res }
  })
  const innocent = jar.fetch('/healthz')
  const results = await Promise.all(burst)
  const health = await innocent
  for (const { name, message, code, res } of results) {
    t.equal(res.status, 400, `${name}: 400`)
    t.equal(codeOf(res), code, `${name}: coded`)
    t.match(res.body.errors?.[0]?.message, message, `${name}: says why`)
    t.equal(res.body.data, null)
  }
  t.equal(health.status, 200, 'a concurrent request is served')

  // How long each document holds the event loop, one at a time: a burst arriving together is read in one turn of the
  // loop, so its delay is the sum of the whole burst and follows how busy the machine is, not what one document costs.
  // The bound is far above a linear check (milliseconds) and far below an expansion of these documents (2^24 fields
  // and more: seconds, or never).
  const { maxDelayMs } = await withLoopDelay(async () => { for (const [, query] of WORST) await gql(jar, query) })
  t.ok(maxDelayMs < 500, `no document blocked the event loop long (max delay ${maxDelayMs.toFixed(1)} ms)`)
})

await t.test('a message that repeats what the client wrote costs linear time in it (a long run of whitespace)', async (t) => {
  // graphql-js quotes a string it refused, in a syntax error and (twice) in a variable's coercion error; the gateway
  // looks for "Did you mean" in both. With a body limit raised to 256 KiB, a quadratic search took seconds here.
  const gw = await startGatewayApp(t, undefined, { gateway: { bodyLimit: 262_144 } })
  const jar = gw.jar()
  const blank = ' \t'.repeat(60_000)
  const { result: [literal, variable, typo], maxDelayMs } = await withLoopDelay(async () => [
    await gql(jar, `{ viewer "${blank}" }`),
    await gql(jar, 'query($c: Boolean!) { viewer @skip(if: $c) { userKey } }', { c: blank }),
    await gql(jar, `{ viewr${' '.repeat(100_000)}{ userKey } }`),
  ] as const)
  t.equal(codeOf(literal), 'GRAPHQL_VALIDATION_FAILED')
  t.equal(codeOf(variable), 'BAD_USER_INPUT')
  t.equal(codeOf(typo), 'GRAPHQL_VALIDATION_FAILED')
  t.match(typo.body.errors?.[0]?.message, /^Cannot query field "viewr" on type "Query"\.$/, 'the suggestion is gone, the message kept')
  for (const res of [literal, variable, typo]) t.ok(JSON.stringify(res.body).length < 1000, 'the value is not repeated back')
  t.ok(maxDelayMs < 500, `the event loop stayed free (max delay ${maxDelayMs.toFixed(1)} ms)`)
})

await t.test('a variables object of many unknown members is refused before graphql-js quotes it in each error', async (t) => {
  // graphql-js quotes the whole input object in each of its (up to 50) unknown-field errors: with the body limit raised
  // to 2 MiB, an object of 100,000 members took many seconds. Refused as sent: BAD_REQUEST, naming the limit.
  const gw = await startGatewayApp(t, undefined, { gateway: { bodyLimit: 2_097_152 } })
  const jar = gw.jar()
  const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 1]))
  const enroll = 'mutation($input: EnrollFactorInput!) { enrollFactor(input: $input) { factor { id } } }'
  const { result: res, maxDelayMs } = await withLoopDelay(async () => await gql(jar, enroll, { input: wide }))
  t.equal(res.status, 400)
  t.equal(codeOf(res), 'BAD_REQUEST')
  t.equal(res.body.errors?.[0]?.message, 'An object in "variables" has more than 16 members.')
  t.ok(maxDelayMs < 500, `the event loop stayed free (max delay ${maxDelayMs.toFixed(1)} ms)`)
  // Nested in a list, and at the top: the same. Within the limit, graphql-js answers the unknown fields itself.
  t.equal(codeOf(await gql(jar, enroll, { input: { factorType: 'token:software:totp' }, list: [{ deep: [wide] }] })), 'BAD_REQUEST')
  t.equal(codeOf(await gql(jar, enroll, Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`v${i}`, i])))), 'BAD_REQUEST')
  const narrow = await gql(jar, enroll, { input: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 1])) })
  t.equal(codeOf(narrow), 'BAD_USER_INPUT', '16 members: graphql-js refuses the unknown fields')
})

await t.test('what fits within the limits still runs, and the limits count through fragments', async (t) => {
  const gw = await startGatewayApp(t, undefined, { gateway: { limits: { maxDepth: 3, maxAliases: 2, maxFields: 8 } } })
  const jar = gw.jar()
  const seven = await gql(jar, doubling(2, 'userKey', 'query Q { viewer { ...F0 } }'))
  t.equal(codeOf(seven), 'UNAUTHENTICATED', '1 + 2^2 fields is within 8: it reaches the resolvers')
  const nine = await gql(jar, doubling(3, 'userKey', 'query Q { viewer { ...F0 } }'))
  t.match(nine.body.errors?.[0]?.message, /selects more than 8 fields; the limit is 8/, '1 + 2^3 fields is not')
  const inline = await gql(jar, `{ viewer { ${'... on Viewer { '.repeat(100)}userKey${' }'.repeat(100)} } }`)
  t.match(inline.body.errors?.[0]?.message, /nests selections more than 64 levels deep/, 'deeply nested inline fragments (within the tokens) are refused')
  const long = await gql(jar, `{ viewer { userKey } } # ${'x'.repeat(7000)}`)
  t.equal(codeOf(long), 'UNAUTHENTICATED', 'a long comment is cheap: not refused by the cost check')
  const str = await gql(jar, `{ viewer { userKey @include(if: true) } } fragment Unused on Viewer { userKey } # ${'"'.repeat(10)}`)
  t.equal(codeOf(str), 'GRAPHQL_VALIDATION_FAILED', 'an unused fragment is still a validation error (graphql-js rule)')
  t.match(str.body.errors?.[0]?.message, /never used/)
})

await t.test('a flood of distinct documents keeps memory bounded (parsed documents are cached, but few)', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const gw = await startGatewayApp(t, undefined)
  const jar = gw.jar()
  // Each passes the cost check and then fails graphql's rules (230 unused variables): the most a cached entry can hold.
  const heavy = (n: number): string => `query Q${n} (${Array.from({ length: 230 }, (_, i) => `$v${i}: Int`).join(' ')}) { viewer { userKey } }`
  for (let n = 0; n < 20; n++) await gql(jar, heavy(n))
  gc()
  const before = process.memoryUsage().heapUsed
  const codes = new Set<string | undefined>()
  for (let n = 20; n < 700; n += 10) {
    const batch = await Promise.all(Array.from({ length: 10 }, async (_, i) => await gql(jar, heavy(n + i))))
    for (const res of batch) codes.add(codeOf(res))
  }
  gc()
  const grownMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20
  t.same([...codes], ['GRAPHQL_VALIDATION_FAILED'], 'every one refused with a code')
  t.ok(grownMiB < 64, `680 distinct refused documents pin little memory (heap grew ${grownMiB.toFixed(1)} MiB)`)
})

await t.test('limitRules (exported for apps running their own mercurius) is linear too', async (t) => {
  const { validate, buildSchema, specifiedRules } = await import('graphql')
  const { gatewaySchema } = await import('@okta-mfa/gateway')
  const schema = buildSchema(gatewaySchema)
  const { result: errors, maxDelayMs } = await withLoopDelay(() => validate(schema, parse(doubling(95)), [...specifiedRules, ...limitRules(DEFAULT_LIMITS)]))
  t.ok(errors.some((e) => /selects more than 100 fields/.test(e.message)))
  t.ok(maxDelayMs < 500, `no long block (max delay ${maxDelayMs.toFixed(1)} ms)`)
})
