// Issue 14 in Chromium: the demo as a person meets it, page by page. Each test saves screenshots of what it checks
// under test-results/ (gitignored) for a person to look at. One file on purpose (tap costs ~2 s per file).
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { once } from 'node:events'
import t from 'tap'
import type { Page } from 'playwright-core'
import { DEMO_USERS, readConfig } from '../../examples/fastify-app/dist/index.js'
import { PASSWORD, startE2eApp, type E2eApp } from '../helpers/e2e-app.js'
import { RESULTS_DIR, clickAndWait, launchBrowser, openPage, enterCode, signInAt } from '../helpers/e2e-browser.js'
import { totp } from '../helpers/totp.js'

const app = await startE2eApp(t)
const browser = await launchBrowser()
t.teardown(() => browser.close())
await mkdir(RESULTS_DIR, { recursive: true })

const path = (page: Page): string => new URL(page.url()).pathname + new URL(page.url()).search
const text = async (page: Page, selector: string): Promise<string> => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim()
/** The visible error notices' text, read at once (no waiting for one to appear). */
const alerts = async (page: Page): Promise<string> => (await page.locator('[role=alert]:not([hidden])').allTextContents()).join(' ').replace(/\s+/g, ' ').trim()

/** Saves a full-page screenshot as test-results/person-<name>.png. */
async function shot (page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`person-${name}.png`, RESULTS_DIR).pathname, fullPage: true })
}

async function signIn (page: Page, on: E2eApp, username: string): Promise<void> {
  await signInAt(page, on.url, username, PASSWORD)
}

const wrongFor = (right: string): string => right === '000000' ? '111111' : '000000'

await t.test('enrollment starts when the person does, keeps its key, and keeps where they were going', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await page.goto(`${fresh.url}/account/security`)
  t.equal(path(page), '/login')
  t.equal(await text(page, 'h1'), 'Sign in to continue', 'sent from a protected page: says why')
  await shot(page, 'login-to-continue')
  await signIn(page, fresh, 'alice')
  t.equal(path(page), '/mfa/enroll')
  const oktaUser = await fresh.client.getUser('alice@example.com')
  t.same(await fresh.client.listFactors(oktaUser.id), [], 'loading the page creates nothing in Okta')
  await shot(page, 'enroll-before-start')

  await clickAndWait(page, '[data-testid=start-totp]')
  const key = await text(page, '#manual-key')
  const qr = await page.getAttribute('#qr', 'src')
  t.match(key, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/)
  t.equal((await fresh.client.listFactors(oktaUser.id)).length, 1, 'one pending factor once started')
  await page.goto(`${fresh.url}/mfa/enroll?method=sms`) // looks elsewhere, comes back
  await page.goto(`${fresh.url}/mfa/enroll`)
  t.equal(await text(page, '#manual-key'), key, 'coming back shows the same key')
  t.equal(await page.getAttribute('#qr', 'src'), qr, 'and the same QR code')
  t.equal((await fresh.client.listFactors(oktaUser.id)).length, 1, 'and no second factor')

  const secret = key.replace(/\s+/g, '')
  await page.fill('#passCode', wrongFor(totp(secret, fresh.clock.now())))
  await page.click('#totp-activate button[type=submit]')
  await page.waitForSelector('#totp-activate [role=alert]:not([hidden])')
  t.match(await text(page, '#totp-activate [role=alert]'), /didn't match\..* 3 attempts left before sign-in is paused\./, 'attempts left from the gateway')
  const label = await page.locator('#totp-activate label[for=passCode]').boundingBox()
  const box = await page.locator('#enroll-error').boundingBox()
  t.ok(label !== null && box !== null && box.y >= label.y + label.height - 1, 'the error box sits under the label, not beside the step number')
  await shot(page, 'enroll-wrong-code')
  await page.fill('#passCode', totp(secret, fresh.clock.now()))
  await Promise.all([page.waitForURL('**/account/security'), page.click('#totp-activate button[type=submit]')])
  t.equal(path(page), '/account/security', 'through sign-in and enrollment to the page first asked for')
  t.match(await text(page, '[data-testid=factor-dates]'), /Added on \d{1,2} \w{3} \d{4} · last used .*just now/, 'added on, last used')
})

await t.test('wrong codes count down, the lockout says until when, and a new sign-in says so at once', async (t) => {
  const fresh = await startE2eApp(t)
  // A second browser where bob finished signing in before the lockout: its remove page says the pause too.
  const other = (await openPage(t, browser)).page
  await signIn(other, fresh, 'bob')
  await enterCode(other, totp(fresh.demo!.totpUser.sharedSecret, fresh.clock.now()))
  t.equal(path(other), '/account')
  await other.goto(`${fresh.url}/account/security`)
  const removeHref = await other.getAttribute('a.remove', 'href')
  await other.goto(`${fresh.url}${removeHref!}`) // the removal form, shown before the pause
  fresh.clock.advance(30_000) // the next code step, so the used code is not the one guessed wrong below
  const { page } = await openPage(t, browser)
  await signIn(page, fresh, 'bob')
  const wrong = wrongFor(totp(fresh.demo!.totpUser.sharedSecret, fresh.clock.now()))
  const seen: string[] = []
  for (let i = 0; i < 4; i++) {
    await enterCode(page, wrong)
    seen.push(await text(page, '[role=alert]'))
  }
  t.match(seen[0], /3 attempts left/)
  t.match(seen[1], /2 attempts left/)
  t.match(seen[2], /1 attempt left/)
  t.match(seen[3], /paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\./, 'the time, as the README promises')
  t.match(seen[3], /^That code didn't match\. Too many attempts/, 'the fourth: it did not match, with no advice to enter another')
  t.equal(await page.locator('#passCode').count(), 0, 'the answer to the fourth wrong code: no code field')
  await shot(page, 'mfa-locked')
  // The removal form shown before the pause, sent during it: the answer is the paused view too.
  await enterCode(other, wrong)
  t.match(await alerts(other), /paused for this account until \d\d:\d\d UTC/, 'remove page: the answer during the pause says so')
  t.equal(await other.locator('#passCode').count(), 0, 'remove page: no code field in the answer')
  t.equal(await other.locator('button:has-text("Remove factor")').count(), 0, 'remove page: no "Remove factor" button')
  t.equal(await other.locator('[data-testid=paused-way-out]').count(), 1, 'remove page: come back later')
  await clickAndWait(page, 'nav a[href="/logout"]')
  await signIn(page, fresh, 'bob')
  t.equal(path(page), '/mfa')
  t.match(await text(page, '[role=alert]'), /paused for this account until \d\d:\d\d UTC/, 'locked: said before any code')
  t.equal(await page.locator('#passCode').count(), 0, 'no code field while paused')
  await shot(page, 'mfa-locked-at-sign-in')

  // Removing a factor needs a code too: the page says the pause before one is typed, with the status /mfa uses.
  const removal = await other.goto(`${fresh.url}${removeHref!}`)
  t.equal(removal?.status(), 200, 'the status of GET /mfa while paused')
  t.match(await alerts(other), /paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\./, 'remove page: locked, said before any code')
  t.equal(await other.locator('#passCode').count(), 0, 'remove page: no code field while paused')
  await shot(other, 'remove-locked')
})

await t.test('a lockout during enrollment: signing in again shows the pause on /mfa/enroll, not the QR code and a field that refuses', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await signIn(page, fresh, 'alice')
  t.equal(path(page), '/mfa/enroll')
  await clickAndWait(page, '[data-testid=start-totp]')
  const secret = (await text(page, '#manual-key')).replace(/\s+/g, '')
  const wrong = wrongFor(totp(secret, fresh.clock.now()))
  for (let i = 0; i < 4; i++) {
    await page.fill('#passCode', wrong)
    await page.click('#totp-activate button[type=submit]')
    await page.locator('#enroll-error', { hasText: i === 3 ? 'paused' : `${3 - i} attempt` }).waitFor()
  }
  // The fourth wrong code's answer is the paused view at once, as a reload shows it, with the server's time format.
  t.match(await alerts(page), /^That code didn't match\..* paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\.$/, 'with JavaScript: didn\'t match, then the pause until HH:MM UTC')
  t.equal(await page.locator('#passCode').count(), 0, 'with JavaScript: no code field after the pause')
  t.equal(await page.locator('#qr').count(), 0, 'with JavaScript: no QR code after the pause')
  t.equal(await page.locator('[data-testid=paused-way-out] a[href="/logout"]').count(), 1, 'with JavaScript: a way out')
  t.not(await page.evaluate('document.activeElement && document.activeElement.id'), 'passCode', 'the cursor is not left in a field')
  await shot(page, 'enroll-locked-js')
  await clickAndWait(page, 'nav a[href="/logout"]')
  await signIn(page, fresh, 'alice')
  t.equal(path(page), '/mfa/enroll')
  const status = (await page.goto(`${fresh.url}/mfa/enroll`))?.status()
  t.equal(status, 200, 'the status of GET /mfa while paused')
  t.match(await alerts(page), /paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\./, 'said at once, with the time')
  t.equal(await page.locator('#passCode').count(), 0, 'no code field')
  t.equal(await page.locator('#qr').count(), 0, 'no QR code')
  t.equal(await page.locator('[data-testid=paused-way-out] a[href="/logout"]').count(), 1, 'a way out: sign out')
  await page.goto(`${fresh.url}/mfa/enroll?method=sms`)
  t.equal(await page.locator('#phone').count(), 0, 'the text-message setup waits too')
  // /mfa (Back from the setup) says the same, with the same way out: not "set up an authenticator", which would lead
  // back to a setup that waits.
  await page.goto(`${fresh.url}/mfa`)
  t.match(await alerts(page), /paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\./, '/mfa: the pause at once')
  t.equal(await page.locator('[data-testid=enroll-link]').count(), 0, '/mfa: no invitation to the setup')
  t.equal(await page.locator('[data-testid=paused-way-out] a[href="/logout"]').count(), 1, '/mfa: sign out and come back')
  await shot(page, 'enroll-locked-at-sign-in')

  // Without JavaScript the fourth wrong code's page keeps its "didn't match" and says the pause once.
  const nojs = (await openPage(t, browser, { javaScriptEnabled: false })).page
  const other = await startE2eApp(t)
  await signIn(nojs, other, 'alice')
  await clickAndWait(nojs, '[data-testid=start-totp]')
  const key = (await text(nojs, '#manual-key')).replace(/\s+/g, '')
  for (let i = 0; i < 4; i++) {
    await nojs.fill('#passCode', wrongFor(totp(key, other.clock.now())))
    await clickAndWait(nojs, '#totp-activate button[type=submit]')
  }
  const said = await alerts(nojs)
  t.match(said, /^That code didn't match\..* paused for this account until \d\d:\d\d UTC/, 'no JavaScript: the last wrong code, then the pause')
  t.equal(said.split('paused').length, 2, 'the pause said once')
  t.equal(await nojs.locator('#passCode').count(), 0, 'no JavaScript: no code field either')
})

await t.test('text-message users read text-message words and a live "ask for another code" countdown', async (t) => {
  const { page } = await openPage(t, browser)
  await signIn(page, app, 'carol')
  t.match(await text(page, '#code-help'), 'by text message')
  t.notMatch(await text(page, 'main'), /authenticator/i, 'no authenticator wording for an sms-only user')
  await enterCode(page, '12')
  t.match(await text(page, '[role=alert]'), 'Enter the code from the latest text message')
  await clickAndWait(page, 'form.send-code button')
  t.match(await text(page, '[data-testid=resend]'), /^You can ask for another code in (30|29) s\.$/)
  t.ok(await page.locator('form.send-code button').isDisabled(), 'the button waits')
  const counter = await page.$('.countdown')
  const from = Number(await counter!.textContent())
  // A function (not a string: the page's CSP forbids eval) polled until the number has gone down.
  await page.waitForFunction(([el, start]) => Number((el as unknown as { textContent: string }).textContent) < (start as number), [counter, from] as const)
  t.pass('the number counts down in the page')
  await shot(page, 'sms-countdown')
  const sent = app.emulator!.lastMessage({ channel: 'sms' })!
  await enterCode(page, sent.code)
  t.equal(path(page), '/account')
})

await t.test('without JavaScript: sign in with a code, and the resend wait is still said', async (t) => {
  const { page } = await openPage(t, browser, { javaScriptEnabled: false })
  app.clock.advance(30_000) // Okta's 30 s between two texts, since the last test's
  await signIn(page, app, 'carol')
  await clickAndWait(page, 'form.send-code button')
  t.match(await text(page, '[data-testid=resend]'), /You can ask for another code in \d+ s\./)
  t.notOk(await page.locator('form.send-code button').isDisabled(), 'without the script the button stays usable')
  await clickAndWait(page, 'form.send-code button') // too soon: Okta refuses, the page explains
  t.match(await text(page, '[data-testid=info]'), 'We sent you a code a moment ago')
  t.match(await text(page, '[data-testid=resend]'), /You can ask for another code in \d+ s\./)
  await shot(page, 'nojs-resend')
  await enterCode(page, app.emulator!.lastMessage({ channel: 'sms' })!.code)
  t.equal(path(page), '/account', 'the MFA step works without JavaScript')
})

await t.test('without JavaScript: enrollment from "Show my QR code" to the first code', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser, { javaScriptEnabled: false })
  await signIn(page, fresh, 'alice')
  await clickAndWait(page, '[data-testid=start-totp]')
  const secret = (await text(page, '#manual-key')).replace(/\s+/g, '')
  await page.fill('#passCode', wrongFor(totp(secret, fresh.clock.now())))
  await clickAndWait(page, '#totp-activate button[type=submit]')
  t.match(await text(page, '#activate-error'), /didn't match\..* 3 attempts left/, 'the same words as with JavaScript')
  t.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'passCode')
  await shot(page, 'nojs-enroll-wrong-code')
  await page.fill('#passCode', totp(secret, fresh.clock.now()))
  await clickAndWait(page, '#totp-activate button[type=submit]')
  t.equal(path(page), '/account', 'the first code is the MFA step, without JavaScript too')
  t.match(await text(page, '.factors'), 'Authenticator app')
})

await t.test('a step-up right after sign-in warns before the code is typed; send sits above remove', async (t) => {
  const { page } = await openPage(t, browser)
  app.clock.advance(30_000)
  await signIn(page, app, 'bob')
  await enterCode(page, totp(app.demo!.totpUser.sharedSecret, app.clock.now()))
  await page.goto(`${app.url}/account/security`)
  await clickAndWait(page, 'a.remove')
  t.match(await text(page, '[data-testid=fresh-code]'), 'wait for your app to show the next code', 'said before typing')
  await shot(page, 'stepup-fresh-code')
  await page.goto(`${app.url}/mfa`)
  t.match(await text(page, '[data-testid=fresh-code]'), 'wait for your app to show the next code', '/mfa opened again at once says it too')

  const carol = await openPage(t, browser, { viewport: { width: 390, height: 844 } })
  app.clock.advance(30_000)
  await signIn(carol.page, app, 'carol')
  await clickAndWait(carol.page, 'form.send-code button')
  await enterCode(carol.page, app.emulator!.lastMessage({ channel: 'sms' })!.code)
  await carol.page.goto(`${app.url}/account/security`)
  const main = await carol.page.locator('.factors li .factor-main').first().boundingBox()
  const actions = await carol.page.locator('.factors li .factor-actions').first().boundingBox()
  t.ok(main !== null && actions !== null && actions.x >= main.x + main.width - 1 && actions.y < main.y + main.height, 'Remove stays in its own column on a phone')
  await shot(carol.page, 'security-phone')
  await clickAndWait(carol.page, 'a.remove')
  const send = await carol.page.locator('form.send-code').boundingBox()
  const remove = await carol.page.locator('form.code-form button[type=submit]').boundingBox()
  t.ok(send !== null && remove !== null && send.y < remove.y, '"Send a code" above the destructive button')
  t.equal(await text(carol.page, 'form.code-form button[type=submit]'), 'Remove factor')
  await shot(carol.page, 'remove-sms')
  app.clock.advance(30_000)
  await carol.page.reload()
  await clickAndWait(carol.page, 'form.send-code button')
  await enterCode(carol.page, app.emulator!.lastMessage({ channel: 'sms' })!.code)
  t.equal(path(carol.page), '/account/security')
  await carol.page.goto(`${app.url}/account`)
  const account = await text(carol.page, 'main')
  t.match(account, 'you have no factor now', 'the account page does not contradict itself')
  t.notMatch(account, /GraphQL|sign-in form/, 'no developer words')
  await shot(carol.page, 'account-no-factor')
})

await t.test('an empty sign-in names the empty field and puts the cursor there', async (t) => {
  const { page } = await openPage(t, browser)
  await page.goto(`${app.url}/mfa`)
  t.equal(path(page), '/login')
  t.equal(await text(page, 'h1'), 'Sign in', '/mfa is not a page to come back to after the code')
  await clickAndWait(page, 'form[action="/login"] button[type=submit]')
  t.equal(await text(page, '[role=alert]'), 'Enter your username.')
  t.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'username')
  await page.fill('#username', 'alice')
  await clickAndWait(page, 'form[action="/login"] button[type=submit]')
  t.equal(await text(page, '[role=alert]'), 'Enter your password.')
  t.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'password')
  t.equal(await page.getAttribute('#password', 'aria-invalid'), 'true')
  await shot(page, 'login-empty-password')
  // A wrong password: the cursor goes to Password, and the error is tied to Password (not to Username).
  await page.fill('#password', 'not-the-password')
  await clickAndWait(page, 'form[action="/login"] button[type=submit]')
  t.match(await text(page, '[role=alert]'), "don't match")
  t.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'password')
  t.same([await page.getAttribute('#password', 'aria-describedby'), await page.getAttribute('#password', 'aria-invalid')], ['login-error', 'true'], 'Password described by the error')
  t.same([await page.getAttribute('#username', 'aria-describedby'), await page.getAttribute('#username', 'aria-invalid')], [null, null], 'Username is not')
  const icon = await page.request.get(`${app.url}/favicon.ico`)
  t.equal(icon.status(), 200, '/favicon.ico is there')
  t.equal(icon.headers()['content-type'], 'image/x-icon')
})

await t.test('"Okta unavailable" fits the moment and offers a way out', async (t) => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  const down = await startE2eApp(t, { orgUrl: `http://127.0.0.1:${port}`, token: 'unused-token', allowInsecureHttp: true, users: DEMO_USERS })
  const { page } = await openPage(t, browser)
  await signIn(page, down, 'bob')
  t.equal(await text(page, 'h1'), 'Okta is unavailable')
  t.match(await text(page, '[role=alert]'), "so we can't load your sign-in methods", 'no talk of a code before any was entered')
  await shot(page, 'okta-unavailable')
  await clickAndWait(page, '[data-testid=error-logout]')
  t.equal(path(page), '/login', 'the sign-out link works')
})

await t.test('"Remember this device": opt-in at sign-in, skips the code next time, never for a step-up, forgettable', async (t) => {
  const fresh = await startE2eApp(t)
  const { page, context } = await openPage(t, browser)
  const secret = fresh.demo!.totpUser.sharedSecret
  await signIn(page, fresh, 'bob')
  const box = page.getByLabel(/Remember this device for 30 days/)
  t.equal(await box.isChecked(), false, 'opt-in: unchecked')
  t.equal(await box.getAttribute('aria-describedby'), 'remember-help', 'its risk is read with it')
  t.match(await text(page, '#remember-help'), 'Only on a device that is yours')
  await shot(page, 'remember-checkbox')
  await box.check()
  await enterCode(page, totp(secret, fresh.clock.now()))
  t.equal(path(page), '/account')
  const cookie = (await context.cookies()).find((c) => c.name === 'okta_mfa_device')
  t.ok(cookie, 'the device cookie is set')
  t.equal(cookie?.httpOnly, true)
  t.equal(cookie?.sameSite, 'Lax')
  t.ok(cookie !== undefined && cookie.expires * 1000 - Date.now() > 29 * 86_400_000, 'for 30 days')
  await page.goto(`${fresh.url}/account/security`)
  t.equal(await text(page, '[data-testid=this-device-remembered]'), 'This browser is remembered: its next sign-in skips the code.', 'a code now, remembered for next time')

  await clickAndWait(page, 'nav a[href="/logout"]')
  // A minute later: the code that made the device remembered is well within the 5-minute step-up window, yet a
  // sign-in without a code is never a step-up.
  fresh.clock.advance(60_000)
  await signIn(page, fresh, 'bob')
  t.equal(path(page), '/account', 'no code on a remembered device')
  t.match(await text(page, '[data-testid=mfa-completed]'), 'this sign-in skipped the code because this browser was remembered')
  t.equal(await text(page, '[data-testid=signed-in-note]'), 'You are signed in with your password, on a browser remembered after a code from your second factor.', 'the page does not say a second factor was used this time')
  const viewer = await page.request.post(`${fresh.url}/graphql`, { data: { query: '{ viewer { mfa { completed fresh } } }' } })
  t.same((await viewer.json()).data.viewer.mfa, { completed: true, fresh: false }, "the gateway's viewer.mfa agrees, and never calls it fresh")
  await page.goto(`${fresh.url}/account/security`)
  t.equal(await text(page, '[data-testid=this-device-remembered]'), 'This browser is remembered: you signed in without a code.')
  await shot(page, 'remembered-security')
  await page.goto(`${fresh.url}/mfa/enroll?method=sms`)
  t.equal(path(page), '/mfa', 'adding a factor still asks for a code')
  t.match(await text(page, '[data-testid=info]'), 'Confirm it’s you')
  t.equal(await page.locator('input[name=rememberDevice]').count(), 0, 'a step-up offers no "Remember this device"')

  await page.goto(`${fresh.url}/account/security`)
  await clickAndWait(page, '[data-testid=forget-devices]')
  t.match(await text(page, '[data-testid=success]'), 'Remembered devices are forgotten')
  // The same session began without a code, but the browser is not remembered any more: the page says both, truly.
  const security = await text(page, 'main')
  t.notMatch(security, /is remembered|skips the code\./, 'nothing says this browser is still remembered')
  t.match(await text(page, '[data-testid=this-device-was-remembered]'), /^You signed in without a code because this browser was remembered\. It is not any more/)
  await shot(page, 'forgotten-security')
  await page.goto(`${fresh.url}/account`)
  t.notMatch(await text(page, 'main'), /is remembered/, '/account does not say it either')
  t.match(await text(page, '[data-testid=mfa-completed]'), 'skipped the code because this browser was remembered', 'how this sign-in went stays true')
  await clickAndWait(page, 'nav a[href="/logout"]')
  await signIn(page, fresh, 'bob')
  t.equal(path(page), '/mfa', 'forgotten: the code is asked again')
})

await t.test('a remembered device is forgotten when a factor is added; two factors offer "Use another method"', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await signIn(page, fresh, 'carol')
  await clickAndWait(page, 'form.send-code button')
  await page.getByLabel(/Remember this device/).check()
  await enterCode(page, fresh.emulator!.lastMessage({ channel: 'sms' })!.code)
  t.equal(path(page), '/account')
  // carol adds an authenticator (a fresh code is still within the step-up window), then removes it again.
  await page.goto(`${fresh.url}/mfa/enroll?method=totp`)
  await clickAndWait(page, '[data-testid=start-totp]')
  const key = (await text(page, '#manual-key')).replace(/\s+/g, '')
  await page.fill('#passCode', totp(key, fresh.clock.now()))
  await Promise.all([page.waitForURL('**/account/security?added=1'), page.click('#totp-activate button[type=submit]')])
  await clickAndWait(page, 'nav a[href="/logout"]')
  await signIn(page, fresh, 'carol')
  t.equal(path(page), '/mfa', 'a factor added since the device was remembered: the code is asked again')

  // Two factors: the page speaks of one, and offers the other as "Use another method".
  t.match(await text(page, '#code-help'), 'authenticator app')
  t.equal(await page.locator('form.send-code').count(), 0, 'no "Send a code" while the app is the method')
  t.match(await text(page, '[data-testid=other-methods]'), /Use another method: Text message/)
  await shot(page, 'mfa-other-methods')
  await clickAndWait(page, '[data-testid=other-methods] a')
  t.match(await text(page, '#code-help'), 'by text message', 'switched to text messages')
  t.match(await text(page, '[data-testid=other-methods]'), 'Authenticator app', 'and back is offered')
  fresh.clock.advance(30_000) // Okta's 30 s between two texts
  await clickAndWait(page, 'form.send-code button')
  await enterCode(page, fresh.emulator!.lastMessage({ channel: 'sms' })!.code)
  t.equal(path(page), '/account', 'the other method signs in')
})

await t.test('REMEMBER_DEVICE_DAYS: 30 by default, refused by name when malformed, 0 turns the checkbox off', async (t) => {
  t.equal(readConfig({}).rememberDeviceDays, 30)
  t.equal(readConfig({ REMEMBER_DEVICE_DAYS: '7' }).rememberDeviceDays, 7)
  t.throws(() => readConfig({ REMEMBER_DEVICE_DAYS: 'a month' }), { message: /REMEMBER_DEVICE_DAYS must be a whole number of days from 0 to 400/ })
  t.throws(() => readConfig({ REMEMBER_DEVICE_DAYS: '401' }), { message: /REMEMBER_DEVICE_DAYS/ })
  const off = await startE2eApp(t, { rememberDeviceDays: 0 })
  const { page } = await openPage(t, browser)
  await signIn(page, off, 'bob')
  t.equal(path(page), '/mfa')
  t.equal(await page.locator('[data-testid=remember-device]').count(), 0, 'no checkbox when turned off')
  const week = await startE2eApp(t, { rememberDeviceDays: 7 })
  await signIn(page, week, 'bob')
  t.equal(await page.getByLabel('Remember this device for 7 days').count(), 1, 'the lifetime is the one configured')
  const day = await startE2eApp(t, { rememberDeviceDays: 1 })
  await signIn(page, day, 'bob')
  t.equal(await page.getByLabel('Remember this device for 1 day', { exact: true }).count(), 1, 'one day, in the singular')
  await enterCode(page, totp(day.demo!.totpUser.sharedSecret, day.clock.now()))
  await page.goto(`${day.url}/account/security`)
  t.match(await text(page, 'main'), 'A remembered device skips the code for 1 day;', 'the security page too')
})

await t.test('two tabs with the same QR code: the second Activate says the factor is set up and goes on (with and without JavaScript)', async (t) => {
  for (const javaScriptEnabled of [true, false]) {
    const how = javaScriptEnabled ? 'JavaScript' : 'no JavaScript'
    const fresh = await startE2eApp(t)
    const { page: first, context } = await openPage(t, browser, { javaScriptEnabled })
    await signIn(first, fresh, 'alice')
    const second = await context.newPage()
    await second.goto(`${fresh.url}/mfa/enroll`)
    await clickAndWait(first, '[data-testid=start-totp]')
    await clickAndWait(second, '[data-testid=start-totp]')
    const secret = (await text(first, '#manual-key')).replace(/\s+/g, '')
    t.equal((await text(second, '#manual-key')).replace(/\s+/g, ''), secret, `${how}: the same key in both tabs`)
    await first.fill('#passCode', totp(secret, fresh.clock.now()))
    await Promise.all([first.waitForURL('**/account'), first.click('#totp-activate button[type=submit]')])
    fresh.clock.advance(30_000) // the next code: a valid one, not a replay
    await second.fill('#passCode', totp(secret, fresh.clock.now()))
    await Promise.all([second.waitForURL('**/account'), second.click('#totp-activate button[type=submit]')])
    t.equal(path(second), '/account', `${how}: on to where a finished setup goes`)
    t.equal(await text(second, '[data-testid=success]'), 'This sign-in method is already set up: it was activated in another tab or window.', `${how}: says why`)
    t.equal(await alerts(second), '', `${how}: no form error`)
    await shot(second, `two-tabs-${javaScriptEnabled ? 'js' : 'nojs'}`)
  }
})

await t.test('the session ends while the setup page is open: "Sign in again" is said once, as the link', async (t) => {
  const fresh = await startE2eApp(t)
  const { page, context } = await openPage(t, browser)
  await signIn(page, fresh, 'alice')
  await clickAndWait(page, '[data-testid=start-totp]')
  const secret = (await text(page, '#manual-key')).replace(/\s+/g, '')
  const other = await context.newPage() // another tab of the same browser signs out
  await other.goto(`${fresh.url}/logout`)
  await page.fill('#passCode', totp(secret, fresh.clock.now()))
  await page.click('#totp-activate button[type=submit]')
  await page.locator('#enroll-error a[href="/login"]').waitFor()
  t.equal(await text(page, '#enroll-error'), 'Your session ended. Sign in again.', 'said once')
  t.equal(await text(page, '#enroll-error a'), 'Sign in again.', 'the sentence is the link')
  await shot(page, 'enroll-session-ended')
})

await t.test('on a 320-pixel phone: the setup key breaks between its groups, and a row\'s label and actions do not overlap', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser, { javaScriptEnabled: false, viewport: { width: 320, height: 700 } })
  await signIn(page, fresh, 'carol')
  await clickAndWait(page, 'form.send-code button')
  await enterCode(page, fresh.emulator!.lastMessage({ channel: 'sms' })!.code)
  await page.goto(`${fresh.url}/mfa/enroll?method=totp`)
  await clickAndWait(page, '[data-testid=start-totp]')
  // Each group of four on one line: a group split over two lines is mistyped by hand.
  const split = await page.evaluate(`(() => {
    const node = document.getElementById('manual-key').firstChild
    const groups = node.textContent.split(' ')
    let at = 0
    return groups.filter((group) => {
      const range = document.createRange()
      range.setStart(node, at)
      range.setEnd(node, at + group.length)
      at += group.length + 1
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1
    })
  })()`)
  t.same(split, [], 'no group of the key is split')
  await shot(page, 'enroll-key-320')
  // Carol's authenticator is "setup not finished" beside her text messages: each row's actions clear of its label.
  await page.goto(`${fresh.url}/account/security`)
  const overlaps = await page.evaluate(`[...document.querySelectorAll('.factors li')].filter((li) => {
    const label = li.querySelector('.factor-label')
    const actions = li.querySelector('.factor-actions')
    if (label === null || actions === null) return false
    const a = label.getBoundingClientRect()
    const b = actions.getBoundingClientRect()
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
  }).map((li) => li.querySelector('.factor-label').textContent)`)
  t.match(await text(page, '.factors'), /Authenticator app[\s\S]*Finish setup/, 'the unfinished authenticator row is there')
  t.same(overlaps, [], 'no label under its actions')
  await shot(page, 'security-320')
})
