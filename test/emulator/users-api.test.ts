// Guards the Users API as Okta behaves: statuses on create, lookup by id or percent-encoded login,
// limit/after pagination with absolute Link headers, search/filter/q, sortBy/sortOrder, fields
// projections, the lifecycle operations, and DELETE that deactivates first and deletes second.
import t from 'tap'
import { emuFetch, withEmulator } from '../helpers/emulator.js'

function links (header: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>;\s*rel="(\w+)"/.exec(part)
    if (m) out[m[2]!] = m[1]!
  }
  return out
}

await t.test('create: statuses, duplicates, lookups', async (t) => {
  const emu = await withEmulator(t)
  const mk = (login: string, query = '', credentials?: unknown) =>
    emuFetch(emu, 'POST', `/api/v1/users${query}`, { profile: { login, email: login, firstName: 'F', lastName: 'L' }, ...(credentials === undefined ? {} : { credentials }) })
  t.equal((await mk('staged@example.com', '?activate=false')).body.status, 'STAGED')
  // Okta's Spring parameters: a boolean in any case, or on/off, yes/no, 1/0 (Python's requests sends False).
  for (const [i, spelling] of ['False', 'FALSE', '0', 'no', 'off'].entries()) t.equal((await mk(`staged${i}@example.com`, `?activate=${spelling}`)).body.status, 'STAGED', `activate=${spelling}`)
  t.equal((await mk('prov-true@example.com', '?activate=TRUE')).body.status, 'PROVISIONED', 'activate=TRUE')
  const provisioned = await mk('prov@example.com')
  t.equal(provisioned.body.status, 'PROVISIONED')
  t.match(provisioned.body.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, 'timestamps in whole seconds, as real orgs send them')
  const active = await mk('active@example.com', '', { password: { value: 'Sup3r-secret!' } })
  t.equal(active.body.status, 'ACTIVE')
  t.same(active.body.credentials.password, {})
  t.notOk(active.text.includes('Sup3r-secret!'), 'the password is never echoed')
  t.equal((await mk('Active@Example.com')).body.errorCauses[0].errorSummary, 'login: An object with this field already exists in the current organization', 'logins are unique, case-insensitively')

  const plus = await mk('a+b/c@example.com')
  const slashed = await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('a+b/c@example.com')}`)
  t.same([slashed.status, slashed.body.errorCode], [404, 'E0000007'], 'a login with a / is fetched by id only, as Okta documents')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${plus.body.id}`)).body.profile.login, 'a+b/c@example.com')
  const qrFactor = await emuFetch(emu, 'POST', `/api/v1/users/${plus.body.id}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  const qrPath = new URL(qrFactor.body._embedded.activation._links.qrcode.href as string).pathname
  t.equal((await fetch(emu.url + qrPath)).status, 200, 'the QR link by id')
  t.equal((await fetch(emu.url + qrPath.replace(plus.body.id as string, encodeURIComponent('a+b/c@example.com')))).status, 404, 'and not by a login with a / (no {user} route looks one up)')
  // Okta ignores case and diacritical marks in logins, not every combining mark: a Devanagari or Thai vowel sign is a letter.
  const kiran = await mk('किरण@example.com')
  const karan = await mk('करण@example.com')
  t.equal(karan.status, 200, 'Karan is not Kiran')
  t.not(karan.body.id, kiran.body.id)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('करण@example.com')}`)).body.id, karan.body.id)
  t.equal((await mk('กิน@example.com')).status, 200)
  t.equal((await mk('กน@example.com')).status, 200, 'two Thai words, two logins')
  const accent = await mk('isaac.brock@example.com')
  t.equal((await mk('ISÁÀC.BRÖCK@example.com')).status, 400, 'an accent or a case alone is the same login')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('isáàc.bröck@example.com')}`)).body.id, accent.body.id)
  const plusOnly = await mk('a+b@example.com')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('a+b@example.com')}`)).body.id, plusOnly.body.id, 'a percent-encoded login with +')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/ACTIVE@example.com')).body.id, active.body.id)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${active.body.id}`)).body._links.self.href, `${emu.url}/api/v1/users/${active.body.id}`)
})

await t.test('list: pagination with absolute Link headers', async (t) => {
  const emu = await withEmulator(t)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `p${i}@example.com`, email: `p${i}@example.com` } })).body.id)
  let path = '/api/v1/users?limit=2'
  const seen: string[] = []
  let pages = 0
  for (;;) {
    const r = await emuFetch(emu, 'GET', path)
    pages++
    seen.push(...r.body.map((u: { id: string }) => u.id))
    const l = links(r.headers.get('link'))
    t.ok(l['self']?.startsWith(`${emu.url}/api/v1/users?`), 'absolute self link')
    if (l['next'] === undefined) break
    t.ok(l['next'].startsWith(`${emu.url}/api/v1/users?`), 'absolute next link')
    path = l['next'].slice(emu.url.length)
  }
  t.same(seen, ids)
  t.equal(pages, 3)
  for (let i = 5; i < 205; i++) await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `p${i}@example.com`, email: `p${i}@example.com` } })
  const full = await emuFetch(emu, 'GET', '/api/v1/users?limit=1000')
  t.equal(full.body.length, 200, 'limit is capped at 200')
  t.match(links(full.headers.get('link'))['next'], /limit=200&after=00u/)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).body.length, 200, 'default page: 200')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?search=profile.login%20sw%20%22p1%22&limit=5')).body.length, 5, 'search keeps its parameters across pages')
  const next = links((await emuFetch(emu, 'GET', '/api/v1/users?search=profile.login%20sw%20%22p1%22&limit=5')).headers.get('link'))['next']!
  t.match(new URL(next).searchParams.get('search'), 'profile.login sw "p1"')
})

await t.test("a list's Link header stays readable: past 8 KiB the query is refused with Okta's 414 E0000256", async (t) => {
  const emu = await withEmulator(t)
  for (let i = 0; i < 3; i++) await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `h${i}@example.com`, email: `h${i}@example.com` } })
  // Both links repeat the search percent-encoded, three bytes for each quote and parenthesis: about 2.9 KB of search
  // gave a header over 16 KiB, an answer fetch threw on (UND_ERR_HEADERS_OVERFLOW).
  const search = (terms: number): string => Array.from({ length: terms }, (_, i) => `(profile.login eq "h${i % 3}@example.com")`).join(' or ')
  const small = await emuFetch(emu, 'GET', `/api/v1/users?limit=1&search=${encodeURIComponent(search(20))}`)
  t.equal(small.status, 200)
  t.ok(links(small.headers.get('link'))['next'], 'a next link')
  t.ok(Buffer.byteLength(small.headers.get('link')!) <= 8192)
  const selfOnly = await emuFetch(emu, 'GET', `/api/v1/users?limit=200&search=${encodeURIComponent(search(100))}`)
  t.same([selfOnly.status, Object.keys(links(selfOnly.headers.get('link')))], [200, ['self']], 'the same search on one page: one link, under the bound')
  for (const [terms, limit] of [[100, 1], [180, 200]] as const) {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?limit=${limit}&search=${encodeURIComponent(search(terms))}`)
    t.same([r.status, r.body.errorCode, r.body.errorSummary], [414, 'E0000256', 'This request produced a response with a header too large to be processed.'],
      `${search(terms).length} characters of search, limit ${limit}: Okta's refusal, which a Node client can read`)
    t.equal(r.headers.get('link'), null)
  }
})

await t.test('paging goes on from its cursor when the users listed so far are deleted', async (t) => {
  const emu = await withEmulator(t)
  const made: string[] = []
  for (let i = 0; i < 7; i++) made.push((await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `d${i}@example.com`, email: `d${i}@example.com` } })).body.id)
  const visited: string[] = []
  let path: string | undefined = '/api/v1/users?limit=2'
  while (path !== undefined) {
    const r = await emuFetch(emu, 'GET', path)
    const page = r.body.map((u: { id: string }) => u.id) as string[]
    visited.push(...page)
    // Delete each page before asking for the next, as a cleanup script does.
    for (const id of page) {
      await emuFetch(emu, 'DELETE', `/api/v1/users/${id}`)
      await emuFetch(emu, 'DELETE', `/api/v1/users/${id}`)
    }
    const next = links(r.headers.get('link'))['next']
    path = next === undefined ? undefined : next.slice(emu.url.length)
  }
  t.same(visited, made, 'every user listed once, in order')
  t.same((await emuFetch(emu, 'GET', '/api/v1/users')).body, [], 'none left')
  t.same((await emuFetch(emu, 'GET', '/api/v1/users?after=00unknown0000000000')).body, [], 'an unknown cursor: an empty page')
})

await t.test('search, filter and q', async (t) => {
  const emu = await withEmulator(t)
  const mk = async (login: string, firstName: string, lastName: string, query = ''): Promise<string> =>
    (await emuFetch(emu, 'POST', `/api/v1/users${query}`, { profile: { login, email: login.replace('@', '.mail@'), firstName, lastName } })).body.id
  const ann = await mk('ann@example.com', 'Ann', 'Lee')
  const bob = await mk('bob@example.com', 'Bob', 'Annis', '?activate=false')
  const cid = await mk('cid@example.com', 'Cid', 'Moe')
  await emuFetch(emu, 'POST', `/api/v1/users/${cid}/lifecycle/deactivate`)
  const ids = async (query: string): Promise<string[]> => {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?${query}`)
    t.equal(r.status, 200, query)
    return r.body.map((u: { id: string }) => u.id)
  }
  const enc = encodeURIComponent
  t.same(await ids(`search=${enc('profile.login eq "ann@example.com"')}`), [ann])
  t.same(await ids(`search=${enc('profile.email eq "BOB.mail@example.com"')}`), [bob], 'case-insensitive')
  t.same(await ids(`search=${enc('status eq "STAGED"')}`), [bob])
  t.same(await ids(`filter=${enc('status eq "DEPROVISIONED"')}`), [cid], 'filter finds deprovisioned users')
  t.same(await ids(`search=${enc('status eq "PROVISIONED" or status eq "STAGED"')}`), [ann, bob])
  t.same(await ids(`search=${enc('(status eq "PROVISIONED" or status eq "STAGED") and profile.firstName sw "B"')}`), [bob])
  t.same(await ids(`filter=${enc('profile.login eq "nobody@example.com"')}`), [])
  t.same(await ids('q=ann'), [ann, bob], 'q: prefix of firstName, lastName or email')
  const dee = (await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'lgn-only@example.com', email: 'dee@example.com', firstName: 'Dee', lastName: 'Dot' } })).body.id
  t.same(await ids('q=lgn'), [], 'q does not match the login (Okta: firstName, lastName or email)')
  t.same(await ids('q=dee'), [dee])
  await emuFetch(emu, 'DELETE', `/api/v1/users/${dee}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${dee}`)
  // search: property names are case-sensitive, operators and string values are not; no ne; co on four properties.
  t.same(await ids(`search=${enc('profile.FirstName eq "Ann"')}`), [], 'search: property names are case-sensitive')
  // A name of Object's members is no profile property: found by fuzzing, these matched every user.
  for (const expr of ['profile.toString pr', 'profile.constructor pr', 'profile.__proto__ pr', 'profile.hasOwnProperty gt "a"']) {
    t.same(await ids(`search=${enc(expr)}`), [], `search: ${expr} matches no user`)
  }
  t.same(await ids(`search=${enc('profile.firstName EQ "ann"')}`), [ann], 'search: operators and values are case-insensitive')
  t.same(await ids(`search=${enc('profile.lastName co "nni"')}`), [bob], 'search: co on profile.lastName')
  t.same(await ids(`search=${enc('(status lt "STAGED" or status gt "STAGED") and profile.firstName pr')}`), [ann, cid], 'search: lt ... or ... gt in place of ne')
  // filter: seven properties, eq only (lastUpdated also gt, ge, lt, le), values case-sensitive, operators not.
  t.same(await ids(`filter=${enc('profile.firstName eq "Ann"')}`), [ann])
  t.same(await ids(`filter=${enc('profile.firstName eq "ann"')}`), [], 'filter: values are case-sensitive')
  t.same(await ids(`filter=${enc('status EQ "STAGED" or id eq "' + ann + '"')}`), [ann, bob], 'filter: operators are case-insensitive')
  t.same(await ids(`filter=${enc('lastUpdated gt "2000-01-01T00:00:00.000Z" and lastUpdated le "2999-01-01T00:00:00.000Z"')}`), [ann, bob, cid])
  // Dates compare as instants, in Okta's form with its offsets (its E0000030 example: 2013-01-01T12:00:00.000-07:00);
  // they compared as text, so 05:00-07:00 (12:00 UTC) came before every 12:00Z update (found by fuzzing).
  t.same(await ids(`filter=${enc('lastUpdated gt "2030-01-01T05:00:00.000-07:00"')}`), [], 'an offset is read: 05:00-07:00 is 12:00Z')
  t.same(await ids(`filter=${enc('lastUpdated ge "2030-01-01T05:00:00.000-07:00"')}`), [ann, bob, cid])
  t.same(await ids(`search=${enc('created lt "2028-02-29T00:00:00.000Z"')}`), [], 'a leap day is a date')
  t.same(await ids(`search=${enc('lastUpdated eq "2030-01-01T13:00:00.000+0100" and created lt "2030-01-01T12:00:00.001Z"')}`), [ann, bob, cid])
  for (const [param, expr] of [['filter', 'lastUpdated gt "2030-01-01"'], ['filter', 'lastUpdated lt "yesterday"'], ['search', 'created ge 5'], ['search', 'lastUpdated eq "2030-13-01T00:00:00.000Z"'],
    // Days a month does not have: read as dates they rolled into the next month.
    ['filter', 'lastUpdated gt "2026-02-29T00:00:00.000Z"'], ['search', 'created lt "2030-04-31T00:00:00.000Z"'], ['search', 'created lt "2100-02-29T00:00:00.000Z"']] as const) {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?${param}=${enc(expr)}`)
    t.same([r.status, r.body.errorCode], [400, 'E0000030'], `not a date of Okta's form: ${expr}`)
  }
  const refused = [
    ['search', 'status ne "STAGED"'], ['search', 'id co "00u"'], ['search', 'status co "ACT"'],
    ['filter', 'profile.firstName sw "A"'], ['filter', 'created gt "2000-01-01T00:00:00.000Z"'], ['filter', 'profile.nickName eq "x"'],
    ['filter', 'STATUS eq "ACTIVE"'], ['filter', 'status gt "A"'], ['filter', 'status ne "ACTIVE"'], ['filter', 'profile.login co "a"'],
    ['filter', 'not (status eq "ACTIVE")'],
  ]
  for (const [param, expr] of refused) {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?${param!}=${enc(expr!)}`)
    t.equal(r.status, 400, `${param!} ${expr!}`)
    t.equal(r.body.errorCode, 'E0000031', `${param!}: ${expr!} is not supported by Okta`)
  }
  t.same(await ids('q=cid'), [], 'q skips DEPROVISIONED users')
  t.same(await ids(''), [ann, bob], 'the plain list skips DEPROVISIONED users')
  for (const bad of ['profile.login', 'profile.login eq', 'profile.login foo "x"', '(status eq "A"', 'status eq "A" and', 'status eq unquoted', '"x" eq status']) {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?search=${enc(bad)}`)
    t.equal(r.body.errorCode, 'E0000031', `invalid search: ${bad}`)
  }
  // Nesting is bounded: 3000 parentheses overflowed the parser's stack (answered as the emulator's internal fallback).
  for (const [param, n] of [['search', 3000], ['filter', 3000], ['search', 101]] as const) {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?${param}=${enc(`${'('.repeat(n)}status eq "ACTIVE"${')'.repeat(n)}`)}`)
    t.same([r.status, r.body.errorCode, r.body.errorCauses[0]?.errorSummary], [400, 'E0000031', 'Parentheses nested more than 100 deep.'], `${param}: ${n} nested parentheses`)
  }
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users?search=${enc(`${'('.repeat(100)}status eq "ACTIVE"${')'.repeat(100)}`)}`)).status, 200, '100 are still read')
  for (let i = 0; i < 11; i++) await mk(`qq${i}@example.com`, 'Qq', 'Many')
  const qPage = await emuFetch(emu, 'GET', '/api/v1/users?q=qq')
  t.equal(qPage.body.length, 10, 'q without limit: pages of 10, as Okta documents')
  t.match(qPage.headers.get('link'), `<${emu.url}/api/v1/users?limit=10&q=qq>; rel="self"`)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?q=qq&limit=20')).body.length, 11)
  for (const limit of ['0', '-5']) {
    const r = await emuFetch(emu, 'GET', `/api/v1/users?q=qq&limit=${limit}`)
    t.same([r.body.length, links(r.headers.get('link'))['self']], [10, `${emu.url}/api/v1/users?limit=10&q=qq`], `q with limit=${limit}: its default, 10, as an empty limit`)
  }
  t.same(Object.keys(links(qPage.headers.get('link'))), ['self'], 'q: no next link, more matches or not (Okta: q does not support pagination)')
  t.same(Object.keys(links((await emuFetch(emu, 'GET', '/api/v1/users?q=qq&limit=3')).headers.get('link'))), ['self'])
  const real = await emuFetch(emu, 'GET', `/api/v1/users?limit=200&search=${enc('profile.email eq "ann.mail@example.com"').replace(/%20/g, '+')}&sortOrder=0`)
  t.equal(real.headers.get('link'), `<${emu.url}/api/v1/users?limit=200&search=profile.email+eq+%22ann.mail%40example.com%22>; rel="self"`,
    'the self link as a real org wrote it for the same query (limit first, sortOrder not echoed)')
})

await t.test('sortBy and sortOrder sort a search (by the property, then id), and paging keeps the order', async (t) => {
  const emu = await withEmulator(t)
  const made: Array<{ id: string, last: string | undefined }> = []
  for (const last of ['Moe', 'lee', undefined, 'Lee', 'Abe', 'Zed', 'Moe']) {
    const login = `s${made.length}@example.com`
    const r = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login, email: login, ...(last === undefined ? {} : { lastName: last }) } })
    made.push({ id: r.body.id, last })
  }
  const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
  const key = (x: { last: string | undefined }): string => x.last === undefined ? '\uffff' : x.last.toLowerCase()
  const asc = [...made].sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : byId(a.id, b.id)).map((x) => x.id)
  t.not(asc.join(), made.map((x) => x.id).join(), 'the sorted order differs from creation order')
  const search = `search=${encodeURIComponent('profile.login sw "s"')}`
  const walk = async (path: string): Promise<string[]> => {
    const seen: string[] = []
    for (let p: string | undefined = path; p !== undefined;) {
      const r = await emuFetch(emu, 'GET', p)
      t.equal(r.status, 200, p)
      seen.push(...r.body.map((u: { id: string }) => u.id))
      const next = links(r.headers.get('link'))['next']
      p = next === undefined ? undefined : next.slice(emu.url.length)
    }
    return seen
  }
  t.same(await walk(`/api/v1/users?${search}&sortBy=profile.lastName`), asc, 'ascending by default; equal values (case aside) by id; unset last')
  t.same(await walk(`/api/v1/users?${search}&sortBy=profile.lastName&sortOrder=desc`), [...asc].reverse(), 'sortOrder=desc')
  t.same(await walk(`/api/v1/users?${search}&sortBy=profile.lastName&limit=2`), asc, 'pages of 2 follow the same order')
  t.same(await walk(`/api/v1/users?${search}&sortBy=profile.lastName&sortOrder=desc&limit=3`), [...asc].reverse())
  // A page that ends exactly on the last user (limit = the number left) names no next page, as an unsorted list does.
  const whole = await emuFetch(emu, 'GET', `/api/v1/users?${search}&sortBy=profile.lastName&limit=${made.length}`)
  t.equal(whole.body.length, made.length)
  t.equal(links(whole.headers.get('link'))['next'], undefined, 'a sorted page holding the last user has no next link')
  const first = await emuFetch(emu, 'GET', `/api/v1/users?${search}&sortBy=profile.lastName&sortOrder=desc&limit=2`)
  const next = new URL(links(first.headers.get('link'))['next']!)
  t.same([next.searchParams.get('sortBy'), next.searchParams.get('sortOrder'), next.searchParams.get('limit')], ['profile.lastName', 'desc', '2'], 'the next link keeps the sort')
  for (const u of first.body) for (let i = 0; i < 2; i++) await emuFetch(emu, 'DELETE', `/api/v1/users/${u.id as string}`)
  t.same((await emuFetch(emu, 'GET', next.pathname + next.search)).body.map((u: { id: string }) => u.id), [...asc].reverse().slice(2, 4), 'the cursor survives the deletion of the users listed')
  const left = made.map((x) => x.id).filter((id) => !first.body.some((u: { id: string }) => u.id === id))
  t.same(await walk('/api/v1/users?sortBy=profile.lastName&sortOrder=desc'), left, 'without search, sortBy is ignored (Okta sorts searches only): creation order')
})

await t.test('a sort by a long property pages with short cursors: the Link header stays small whatever the users hold', async (t) => {
  const emu = await withEmulator(t)
  // Values up to the schema's limits, equal over their first 1,000 characters (ASCII) or 4,000 (three UTF-8 bytes each).
  const made: string[] = []
  for (const i of [2, 0, 1]) {
    const login = `long${i}@example.com`
    const r = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login, email: login, lastName: 'Longsort', streetAddress: `${'x'.repeat(1000)}${i}`, postalAddress: `${'漢'.repeat(4000)}${i}` } })
    t.equal(r.status, 200)
    made[i] = r.body.id as string
  }
  const search = `search=${encodeURIComponent('profile.lastName eq "Longsort"')}`
  for (const by of ['profile.streetAddress', 'profile.postalAddress']) {
    for (const order of ['asc', 'desc']) {
      const seen: string[] = []
      let longest = 0
      for (let p: string | undefined = `/api/v1/users?${search}&sortBy=${by}&sortOrder=${order}&limit=1`; p !== undefined;) {
        const r = await emuFetch(emu, 'GET', p)
        t.equal(r.status, 200, `${by} ${order}: each page is served (the next link was 414 once the cursor held the value)`)
        longest = Math.max(longest, (r.headers.get('link') ?? '').length)
        seen.push(...r.body.map((u: { id: string }) => u.id))
        const next = links(r.headers.get('link'))['next']
        p = next === undefined ? undefined : next.slice(emu.url.length)
      }
      t.same(seen, order === 'asc' ? made : [...made].reverse(), `${by} ${order}: every user once, in order`)
      // Okta's Node SDK reads no Link header over 2,000 characters (parse-link-header's limit).
      t.ok(longest < 2000, `${by} ${order}: the longest Link header, ${longest} characters, is short enough for the SDK`)
    }
  }
  // The user a cut cursor names deleted meanwhile: the users after it are still listed, in order, in either order.
  const cursorAt = async (order: string): Promise<URL> => {
    const first = await emuFetch(emu, 'GET', `/api/v1/users?${search}&sortBy=profile.postalAddress&sortOrder=${order}&limit=1`)
    t.same(first.body.map((u: { id: string }) => u.id), [order === 'asc' ? made[0] : made[2]])
    return new URL(links(first.headers.get('link'))['next']!)
  }
  const [asc, desc] = [await cursorAt('asc'), await cursorAt('desc')]
  for (const id of [made[0]!, made[2]!]) for (let i = 0; i < 2; i++) await emuFetch(emu, 'DELETE', `/api/v1/users/${id}`)
  for (const [order, next] of [['asc', asc], ['desc', desc]] as const) {
    const rest = await emuFetch(emu, 'GET', `${next.pathname}${next.search.replace('limit=1', 'limit=5')}`)
    t.same(rest.body.map((u: { id: string }) => u.id), [made[1]], `${order}, after a deleted user: the rest, not lost`)
  }
  // The listed user's long value changed past the cut meanwhile: the users after it are still listed (it may come again).
  const abc: Record<string, string> = {}
  for (const last of ['a', 'b', 'c']) {
    const login = `change-${last}@example.com`
    abc[last] = (await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login, email: login, lastName: 'Changesort', streetAddress: `${'x'.repeat(100)}${last}` } })).body.id as string
  }
  const changing = `search=${encodeURIComponent('profile.lastName eq "Changesort"')}&sortBy=profile.streetAddress`
  for (const [order, first, changedTo, after] of [['asc', 'a', 'z', ['b', 'c']], ['desc', 'c', '0', ['b', 'a']]] as const) {
    const page = await emuFetch(emu, 'GET', `/api/v1/users?${changing}&sortOrder=${order}&limit=1`)
    t.same(page.body.map((u: { id: string }) => u.id), [abc[first]])
    const next = new URL(links(page.headers.get('link'))['next']!)
    await emuFetch(emu, 'POST', `/api/v1/users/${abc[first]!}`, { profile: { streetAddress: `${'x'.repeat(100)}${changedTo}` } })
    const rest = (await emuFetch(emu, 'GET', `${next.pathname}${next.search.replace('limit=1', 'limit=10')}`)).body.map((u: { id: string }) => u.id) as string[]
    t.same(rest.filter((id) => id !== abc[first]), after.map((k) => abc[k]), `${order}, after a user whose value changed: the rest, in order, not lost`)
    await emuFetch(emu, 'POST', `/api/v1/users/${abc[first]!}`, { profile: { streetAddress: `${'x'.repeat(100)}${first}` } })
  }
})

await t.test('fields: Okta\'s projections', async (t) => {
  const emu = await withEmulator(t)
  for (let i = 0; i < 3; i++) await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `f${i}@example.com`, email: `f${i}@example.com`, firstName: `F${i}`, city: i === 0 ? 'Chicago' : null } })
  const get = (fields: string) => emuFetch(emu, 'GET', `/api/v1/users?limit=2&fields=${encodeURIComponent(fields)}`)
  const projected = await get('status,profile:(firstName, city)')
  t.same(projected.body.map((u: object) => Object.keys(u)), [['id', 'status', 'profile'], ['id', 'status', 'profile']], 'id always, then the fields asked for')
  t.same(projected.body.map((u: { profile: object }) => u.profile), [{ firstName: 'F0', city: 'Chicago' }, { firstName: 'F1' }], 'only the chosen profile properties; an unset one is left out')
  t.match(new URL(links(projected.headers.get('link'))['next']!).searchParams.get('fields'), 'status,profile:(firstName, city)', 'the next page keeps the projection')
  t.same((await get('profile:(__proto__,constructor,toString,firstName)')).body[0].profile, { firstName: 'F0' }, 'inherited names are not properties of the profile')
  t.same(Object.keys((await get('id')).body[0]), ['id'])
  t.same(Object.keys((await get('profile,_links,lastUpdated')).body[0]), ['id', 'lastUpdated', 'profile', '_links'])
  t.same(Object.keys((await get('profile')).body[0].profile), ['firstName', 'lastName', 'mobilePhone', 'secondEmail', 'login', 'email', 'city'], 'profile alone: all of it')
  t.same(Object.keys((await emuFetch(emu, 'GET', '/api/v1/users?fields=')).body[0]).length, 13, 'an empty fields: no projection')
  for (const bad of ['status,,id', 'profile:(firstName', 'profile:firstName', 'status:(x)', 'profile:()', 'profile:(a(b))']) {
    const r = await get(bad)
    t.same([r.status, r.body.errorCode, r.body.errorSummary], [400, 'E0000001', 'Api validation failed: fields'], `malformed: ${bad}`)
  }
})

await t.test('lifecycle and delete', async (t) => {
  const emu = await withEmulator(t)
  const id = (await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'life@example.com', email: 'life@example.com' } })).body.id
  const U = `/api/v1/users/${id}`
  const stagedLinks = Object.keys((await emuFetch(emu, 'GET', U)).body._links).sort()
  t.same(stagedLinks, ['activate', 'resetFactors', 'schema', 'self', 'type'], 'a STAGED user has the links a real org gives it (no deactivate)')
  const act = await emuFetch(emu, 'POST', `${U}/lifecycle/activate?sendEmail=false`)
  t.equal(act.status, 200)
  t.type(act.body.activationToken, 'string')
  t.equal((await emuFetch(emu, 'GET', U)).body.status, 'PROVISIONED')
  t.equal((await emuFetch(emu, 'POST', `${U}/lifecycle/activate`)).body.errorCode, 'E0000016')
  await emuFetch(emu, 'POST', `${U}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  t.same((await emuFetch(emu, 'POST', `${U}/lifecycle/reset_factors`)).body, {})
  t.same((await emuFetch(emu, 'GET', `${U}/factors`)).body, [])

  const del1 = await emuFetch(emu, 'DELETE', U)
  t.equal(del1.status, 204)
  t.equal(del1.headers.get('content-type'), null, '204 without a Content-Type, as real orgs answer')
  t.equal((await emuFetch(emu, 'GET', U)).body.status, 'DEPROVISIONED', 'the first DELETE deactivates')
  t.equal((await emuFetch(emu, 'POST', `${U}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.errorCode, 'E0000038', 'no enrollment while deprovisioned')
  t.same((await emuFetch(emu, 'POST', `${U}/lifecycle/activate?sendEmail=true`)).body, {}, 'a deprovisioned user can be activated again')
  t.same((await emuFetch(emu, 'POST', `${U}/lifecycle/deactivate`)).body, {})
  t.equal((await emuFetch(emu, 'DELETE', U)).status, 204)
  t.equal((await emuFetch(emu, 'GET', U)).status, 404, 'the second DELETE deletes')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/life@example.com')).status, 404)
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'life@example.com', email: 'life@example.com' } })).status, 200, 'the login is free again')
})

await t.test("logins compared as Okta compares them; okta-response, expand=blocks and a user's groups", async (t) => {
  const emu = await withEmulator(t)
  const first = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'Isaac.Brock@example.com', email: 'isaac@example.com' } })
  t.equal(first.status, 200)
  for (const login of ['isaac.brock@example.com', 'isáàc.bröck@example.com', 'ISÁÀC.BRÖCK@EXAMPLE.COM']) {
    const again = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login, email: 'other@example.com' } })
    t.same([again.status, again.body.errorCode], [400, 'E0000001'], `${login}: the same login for Okta (case and diacritical marks)`)
  }
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('isáàc.bröck@example.com')}`)).body.id, first.body.id, 'found by it too')
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'isaac.brook@example.com', email: 'other@example.com' } })).status, 200, 'another letter is another login')
  // A user's own login is not another user's: written with other accents, it is an update, not a duplicate (fuzzing).
  const own = await emuFetch(emu, 'POST', `/api/v1/users/${first.body.id as string}`, { profile: { login: 'Isáàc.Bröck@example.com' } })
  t.same([own.status, own.body.profile?.login], [200, 'Isáàc.Bröck@example.com'], "a user's login rewritten with accents is taken")
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('isaac.brock@example.com')}`)).body.id, first.body.id, 'and still finds the user')

  const active = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'pat@example.com', email: 'pat@example.com' }, credentials: { password: { value: 'Sup3r-secret!' } } })
  const U = `/api/v1/users/${active.body.id as string}`
  const full = await emuFetch(emu, 'GET', U)
  t.ok('credentials' in full.body && 'changePassword' in full.body._links, 'by default: credentials and their links')
  const lean = await emuFetch(emu, 'GET', U, undefined, { 'content-type': 'application/json; okta-response=omitCredentials,omitCredentialsLinks' })
  t.equal(lean.status, 200)
  t.notOk('credentials' in lean.body, 'omitCredentials')
  for (const name of ['changePassword', 'changeRecoveryQuestion', 'forgotPassword', 'resetPassword', 'resetFactors', 'unlock']) t.notOk(name in lean.body._links, `omitCredentialsLinks: no ${name}`)
  t.ok('self' in lean.body._links && 'deactivate' in lean.body._links, 'the other links stay')
  const onlyLinks = await emuFetch(emu, 'GET', U, undefined, { 'content-type': 'application/json; okta-response=omitCredentialsLinks' })
  t.ok('credentials' in onlyLinks.body && !('changePassword' in onlyLinks.body._links), 'one option without the other')
  const listed = await emuFetch(emu, 'GET', '/api/v1/users?limit=5', undefined, { 'content-type': 'application/json; okta-response=omitCredentials' })
  t.ok(listed.body.length > 0 && listed.body.every((u: object) => !('credentials' in u)), 'the list too')

  t.same((await emuFetch(emu, 'GET', `${U}?expand=blocks`)).body._embedded, { blocks: [] }, 'expand=blocks: none')
  t.notOk('_embedded' in (await emuFetch(emu, 'GET', U)).body, 'not without it')
  t.same((await emuFetch(emu, 'GET', `${U}/groups`)).body, [], "a user's groups: none in the emulator")
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/00unobody0000000000x/groups')).status, 404)
})

await t.test("profile lengths are Okta's schema's", async (t) => {
  const emu = await withEmulator(t)
  let n = 0
  const create = async (profile: Record<string, unknown>): Promise<{ status: number, body: any }> =>
    await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: `len${++n}@example.com`, email: `len${n}@example.com`, ...profile } })
  t.equal((await create({ postalAddress: 'x'.repeat(4096) })).status, 200, 'postalAddress up to 4096')
  for (const [profile, cause] of [
    [{ postalAddress: 'x'.repeat(4097) }, /postalAddress: The field is too long \(at most 4096/],
    [{ firstName: 'x'.repeat(51) }, /firstName: The field is too long \(at most 50/],
    [{ firstName: '' }, /firstName: The field is too short \(at least 1/],
    [{ countryCode: 'USA' }, /countryCode: The field is too long \(at most 2/],
    [{ login: 'a@b' }, /login: The field is too short \(at least 5/],
    [{ zipCode: '9'.repeat(51) }, /zipCode: The field is too long \(at most 50/],
  ] as const) {
    const r = await create(profile)
    t.same([r.status, r.body.errorCode], [400, 'E0000001'], JSON.stringify(profile).slice(0, 40))
    t.match(r.body.errorCauses[0].errorSummary, cause)
  }
  t.equal((await create({ firstName: 'x'.repeat(50), countryCode: 'US', city: 'c'.repeat(128) })).status, 200, 'at the limits')
  // Not an email address: a control or format character (NUL, DEL, a C1 control, a bidi override, a zero-width space)
  // or a lone surrogate, in a login, an email or a secondEmail. Letters of any script pass.
  for (const odd of ['\u0000', '\u0001', '\u007f', '\u0085', '\u202e', '\u200b', '\ud800']) {
    const shown = `U+${odd.charCodeAt(0).toString(16).padStart(4, '0')}`
    const login = await create({ login: `odd${odd}${++n}@example.com` })
    t.same([login.status, login.body.errorCode, login.body.errorCauses?.[0]?.errorSummary], [400, 'E0000001', 'login: Username must be in the form of an email address'], `${shown} in a login`)
    t.equal((await create({ email: `odd${odd}@example.com` })).status, 400, `${shown} in an email`)
    t.equal((await create({ secondEmail: `odd${odd}@example.com` })).status, 400, `${shown} in a secondEmail`)
  }
  t.equal((await create({ login: `ünï.名前😀${++n}@example.com` })).status, 200, 'letters and emoji of any script')
  t.equal((await create({ login: `فاطمه\u200cزاده${++n}@example.ir` })).status, 200, 'a name written with a zero-width non-joiner')
  t.equal((await create({ login: `👨\u200d👩\u200d👧${++n}@example.com` })).status, 200, 'an emoji joined with a zero-width joiner')
  t.equal((await create({ login: `soft\u00adhyphen${++n}@example.com` })).status, 400, 'a soft hyphen (invisible) is refused')
  // secondEmail is `format: email` in Okta's schema, as email is: checked on create, partial update and replace.
  const bad = await create({ secondEmail: 'not-an-email' })
  t.same([bad.status, bad.body.errorCode, bad.body.errorCauses[0].errorSummary], [400, 'E0000001', 'secondEmail: Does not match required pattern'])
  const good = await create({ secondEmail: 'backup@example.org' })
  t.equal(good.body.profile.secondEmail, 'backup@example.org')
  t.equal((await create({ secondEmail: null })).status, 200, 'null: not set')
  const partial = await emuFetch(emu, 'POST', `/api/v1/users/${good.body.id as string}`, { profile: { secondEmail: 'x y z' } })
  t.same([partial.status, partial.body.errorCode], [400, 'E0000001'], 'partial update')
  const replace = await emuFetch(emu, 'PUT', `/api/v1/users/${good.body.id as string}`, { profile: { ...good.body.profile, secondEmail: '@@' } })
  t.same([replace.status, replace.body.errorCode], [400, 'E0000001'], 'replace')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${good.body.id as string}`)).body.profile.secondEmail, 'backup@example.org', 'unchanged')
})
