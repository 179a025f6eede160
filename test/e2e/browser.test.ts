// Guards the example app's whole MFA flow in a real browser (Chromium) against the in-process emulator:
// enrollment from the manual key (and the QR code carries the same key), /account after a code, sign out and in
// again, a wrong and a reused code shown as errors in words, /account without MFA going to /mfa and back, and
// carol's sms code read from the emulator outbox on a phone-sized screen; and one whole flow with the app talking to
// its emulator over OAuth 2.0 with DPoP (DEMO_OKTA_AUTH=oauth) and never with the SSWS token. And the Express
// example's code form sent once on a double click, and used as a person does: keyboard only, Back, reload, two tabs,
// a deep link and a remembered device.
import t from 'tap'
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'
import type { Page } from 'playwright-core'
import { PASSWORD, startE2eApp } from '../helpers/e2e-app.js'
import { clickAndWait, launchBrowser, openPage, enterCode, signInAt } from '../helpers/e2e-browser.js'
import { totp } from '../helpers/totp.js'
import { withEmulator } from '../helpers/emulator.js'
import { withRedis } from '../helpers/redis.js'
import { listenLoopback } from '../helpers/http.js'
import { buildApp as buildExpressApp } from '../../examples/express-app/dist/app.js'

// jsqr is CommonJS with a `default` property.
const jsQR = (jsQRModule as unknown as { default: (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null }).default

const app = await startE2eApp(t)
const browser = await launchBrowser()
t.teardown(() => browser.close())

const path = (page: Page): string => new URL(page.url()).pathname + new URL(page.url()).search
const code = (secret: string): string => totp(secret, app.clock.now())

async function signIn (page: Page, username: string): Promise<void> {
  await signInAt(page, app.url, username, PASSWORD)
}

/** The QR code of a data: URI, decoded. */
function decodeQr (dataUri: string): string | undefined {
  const png = PNG.sync.read(Buffer.from(dataUri.replace(/^data:image\/png;base64,/, ''), 'base64'))
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data
}

/** A slow server for the page's posts to /mfa (the second click lands while the first is on its way); the posts sent. */
async function slowPosts (page: Page): Promise<string[]> {
  const posts: string[] = []
  await page.route('**/mfa', async (route) => {
    if (route.request().method() === 'POST') {
      posts.push(route.request().postData() ?? '')
      await new Promise((resolve) => setTimeout(resolve, 400))
    }
    await route.continue()
  })
  return posts
}

/** Two clicks of an impatient person: the second while the first post still waits for its answer. */
async function clickTwice (page: Page, selector: string): Promise<void> {
  await page.evaluate(`(async () => {
    const button = document.querySelector(${JSON.stringify(selector)})
    button.click()
    await new Promise((resolve) => setTimeout(resolve, 150))
    button.click()
  })()`).catch(() => {}) // the page may be gone by the end
}

let aliceKey = ''

await t.test('alice signs in, enrolls an authenticator from the manual key and reaches /account', async (t) => {
  const { page } = await openPage(t, browser)
  await page.goto(`${app.url}/account`)
  t.equal(path(page), '/login', 'a signed-out visitor is sent to sign in')
  await signIn(page, 'alice')
  t.equal(path(page), '/mfa/enroll', 'no factor yet: straight to enrollment')

  await clickAndWait(page, '[data-testid=start-totp]') // the factor is created when the person starts (issue 14)
  await page.waitForSelector('#manual-key:not(:empty)')
  const first = (await page.textContent('#manual-key')) ?? ''
  await page.reload() // a half-done enrollment is resumed: the QR code already scanned keeps working
  await page.waitForSelector('#manual-key:not(:empty)')
  const shown = (await page.textContent('#manual-key')) ?? ''
  t.equal(shown, first, 'a reload shows the same key')
  t.match(shown, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, 'the manual key is shown in groups of four')
  aliceKey = shown.replace(/\s+/g, '')
  const qr = decodeQr((await page.getAttribute('#qr', 'src')) ?? '')
  t.match(qr, /^otpauth:\/\/totp\//, 'the QR image is an otpauth URI')
  t.equal(new URL(qr!).searchParams.get('secret'), aliceKey, 'the QR code and the manual key carry the same secret')
  t.equal(await page.getAttribute('#passCode', 'autocomplete'), 'one-time-code')
  t.equal(await page.getAttribute('#passCode', 'inputmode'), 'numeric')

  const right = code(aliceKey)
  await page.fill('#passCode', right === '000000' ? '111111' : '000000')
  await page.click('#totp-activate button[type=submit]')
  await page.waitForSelector('#totp-activate [role=alert]:not([hidden])')
  t.match(await page.textContent('#totp-activate [role=alert]'), "That code didn't match", 'a wrong first code is explained above the field')

  await page.fill('#passCode', right)
  // The first code from the new factor is the MFA step: no second code, straight on.
  await Promise.all([page.waitForURL('**/account'), page.click('#totp-activate button[type=submit]')])
  t.equal(path(page), '/account', 'activation finishes the sign-in')
  t.match(await page.textContent('h1'), 'Hello, Alice Example')
  t.match(await page.textContent('.factors'), 'Authenticator app')
  t.match(await page.textContent('[data-testid=mfa-completed]'), /just now/)
})

await t.test('signing out and in again asks for a code, and a fresh one opens /account', async (t) => {
  const { page } = await openPage(t, browser)
  await signIn(page, 'alice')
  t.equal(path(page), '/mfa', 'a user with a factor is asked for a code')
  app.clock.advance(30_000)
  await enterCode(page, code(aliceKey))
  t.equal(path(page), '/account')

  await clickAndWait(page, 'nav a[href="/logout"]')
  t.equal(path(page), '/login')
  t.match(await page.textContent('[data-testid=info]'), 'You are signed out.')
  await page.goto(`${app.url}/account`)
  t.equal(path(page), '/login', 'signed out means signed out')

  await signIn(page, 'alice')
  t.equal(path(page), '/mfa')
  app.clock.advance(30_000)
  await enterCode(page, code(aliceKey))
  t.equal(path(page), '/account')
})

await t.test('a wrong code shows what went wrong next to the field', async (t) => {
  const { page } = await openPage(t, browser)
  await signIn(page, 'alice')
  app.clock.advance(30_000)
  const right = code(aliceKey)
  await enterCode(page, right === '000000' ? '111111' : '000000')
  t.equal(path(page), '/mfa', 'still on the MFA page')
  t.match(await page.textContent('[role=alert]'), "That code didn't match")
  t.equal(await page.getAttribute('#passCode', 'aria-invalid'), 'true', 'the field is marked invalid for screen readers')
  await enterCode(page, '12')
  t.match(await page.textContent('[role=alert]'), 'A code is 6 digits')
  await enterCode(page, right)
  t.equal(path(page), '/account', 'the right code still works after a wrong one')
})

await t.test('a code that was already used shows the error, and the next code works', async (t) => {
  const { page } = await openPage(t, browser)
  await signIn(page, 'alice')
  app.clock.advance(30_000)
  const used = code(aliceKey)
  await enterCode(page, used)
  t.equal(path(page), '/account')
  await clickAndWait(page, 'nav a[href="/logout"]')

  await signIn(page, 'alice')
  await enterCode(page, used)
  t.equal(path(page), '/mfa')
  t.match(await page.textContent('[role=alert]'), 'That code was already used')
  app.clock.advance(30_000)
  await enterCode(page, code(aliceKey))
  t.equal(path(page), '/account')
})

await t.test('a double click on Verify sends the code once, and a code pasted as "123 456" is taken whole', async (t) => {
  const { page } = await openPage(t, browser)
  await signIn(page, 'alice')
  app.clock.advance(30_000)
  const posts = await slowPosts(page)
  const right = code(aliceKey)
  await page.fill('#passCode', `${right.slice(0, 3)} ${right.slice(3)}`)
  t.equal(await page.inputValue('#passCode'), `${right.slice(0, 3)} ${right.slice(3)}`, 'the field keeps the whole pasted code')
  const landed = page.waitForURL((url) => url.pathname !== '/mfa').then(() => 'landed', (err: Error) => err.message.slice(0, 80))
  await clickTwice(page, 'form.code-form button[type=submit]')
  t.equal(await landed, 'landed', 'the first post leads on')
  t.equal(path(page), '/account', 'signed in with the first post, not refused by a second one')
  t.equal(posts.length, 1, 'one post')
  t.match(await page.textContent('h1'), /./)
})

await t.test('the flow as the issue words it: fields by name, the one submit button, the key beside its label, goto /logout', async (t) => {
  const fresh = await startE2eApp(t) // a new emulator: alice without a factor again
  const { page } = await openPage(t, browser)
  const submit = async (): Promise<void> => {
    t.equal(await page.locator('button[type=submit]').count(), 1, `one submit button on ${path(page)}`)
    await clickAndWait(page, 'button[type=submit]')
  }
  await page.goto(`${fresh.url}/login`)
  t.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 1, 'the login button says what it does')
  await page.fill('input[name=username]', 'alice')
  await page.fill('input[name=password]', PASSWORD)
  await submit()
  t.equal(path(page), '/mfa/enroll', 'no factor: enrollment; the key comes with "Show my QR code" (issue 14)')
  await submit()
  const key = page.getByTestId('manual-key')
  const secret = ((await key.textContent()) ?? '').replace(/\s+/g, '')
  t.match(secret, /^[A-Z2-7]{16,}$/)
  t.equal(await page.locator('#manual-key').getAttribute('aria-labelledby'), 'manual-key-label')
  t.match(await page.textContent('#manual-key-label'), /key/i, 'the key sits under a label that says so')
  t.equal(await page.locator('input[name=passCode]').count(), 1, 'one code field')
  t.equal(await page.getByLabel(/code/i).count(), 1, 'found by its label too')
  await page.fill('input[name=passCode]', totp(secret, fresh.clock.now()))
  await Promise.all([page.waitForURL('**/account'), page.click('button[type=submit]')])
  t.equal(path(page), '/account', 'the first code finishes the sign-in')

  await page.goto(`${fresh.url}/logout`)
  t.equal(path(page), '/login', 'GET /logout typed in the address bar signs out')
  await page.goto(`${fresh.url}/account`)
  t.equal(path(page), '/login', 'and the session is gone')

  await page.fill('input[name=username]', 'alice')
  await page.fill('input[name=password]', PASSWORD)
  await submit()
  t.equal(path(page), '/mfa')
  fresh.clock.advance(30_000)
  await page.fill('input[name=passCode]', totp(secret, fresh.clock.now()))
  await submit()
  t.equal(path(page), '/account')
})

await t.test('enrollment by text message: the phone form, then the one code field, the code from the outbox', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await page.clock.install() // the resend countdown runs on the page's clock, moved with the app's below
  await page.goto(`${fresh.url}/login`)
  await page.fill('input[name=username]', 'alice')
  await page.fill('input[name=password]', PASSWORD)
  await clickAndWait(page, 'button[type=submit]')
  await clickAndWait(page, '#use-sms')
  t.equal(path(page), '/mfa/enroll?method=sms')
  t.equal(await page.locator('input[name=passCode]').count(), 0, 'no code field before the text is sent')
  await page.fill('#phone', '+1 555 555 0199')
  await page.click('button[type=submit]')
  await page.waitForSelector('input[name=passCode]')
  t.same([await page.locator('#sms-enroll').count(), await page.locator('#sms-activate button[type=submit]').count()], [0, 1], 'the code form replaced the phone form')
  t.ok(await page.isVisible('[data-testid=outbox-hint]'), 'the page says where the code went')
  const sent = fresh.emulator!.lastMessage({ channel: 'sms' })
  t.equal(sent?.to, '+15555550199')
  // Its mistakes are worded for a text message, not for an authenticator app.
  await page.fill('input[name=passCode]', '12')
  await page.click('button[type=submit]')
  await page.waitForSelector('#enroll-error:not([hidden])')
  t.equal(((await page.textContent('#enroll-error')) ?? '').trim(), 'A code is 6 digits. Enter the code from the latest text message.')
  await page.fill('input[name=passCode]', sent!.code === '000000' ? '111111' : '000000')
  await page.click('button[type=submit]')
  await page.locator('#enroll-error', { hasText: "That code didn't match" }).waitFor()
  t.match(((await page.textContent('#enroll-error')) ?? '').trim(), /^That code didn't match\. Enter the code from the latest text message, or send a new one\./)
  t.notMatch(((await page.textContent('#enroll-error')) ?? '').trim(), /app/, 'no authenticator wording')
  // "…or send a new one": the way to do so is on the page at once, not only after a reload.
  t.ok(await page.isVisible('#sms-resend') && await page.isVisible('#sms-change'), '"Send a new code" and "use another number" right after the text')
  // Okta's 30 s between two texts, counted down under "No text?" as at sign-in, the button waiting.
  t.match(await page.textContent('#sms-resend-wait [data-testid=resend]'), /^You can ask for another code in (30|29) s\.$/, 'the wait, said right after the text')
  t.ok(await page.locator('#sms-resend').isDisabled(), '"Send a new code" waits')
  await page.clock.runFor(10_000)
  t.match(await page.textContent('#sms-resend-wait .countdown'), /^(20|19)$/, 'the number counts down')
  fresh.clock.advance(31_000)
  await page.clock.runFor(21_000)
  t.equal(await page.textContent('#sms-resend-wait [data-testid=resend]'), 'You can ask for another code now.')
  t.notOk(await page.locator('#sms-resend').isDisabled(), 'and the button works again')
  await page.focus('#sms-resend')
  await page.keyboard.press('Enter')
  await page.locator('#enroll-status', { hasText: 'We sent a new code to' }).waitFor()
  t.match(await page.textContent('#sms-resend-wait [data-testid=resend]'), /^You can ask for another code in (30|29) s\.$/, 'a new wait after the new text')
  t.ok(await page.locator('#sms-resend').isDisabled(), 'the button waits again')
  t.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'passCode', 'the keyboard focus moved to the code field, not lost with the disabled button')
  const again = fresh.emulator!.lastMessage({ channel: 'sms' })!
  t.not(again.sentAt, sent!.sentAt, 'a new text is sent')
  t.equal(again.to, '+15555550199', 'to the same number')
  await page.fill('input[name=passCode]', again.code)
  await Promise.all([page.waitForURL('**/account'), page.click('#sms-activate button[type=submit]')])
  t.match(await page.textContent('.factors'), 'Text message')
})

await t.test('a text-message setup left half-done resumes at its code step (resend, another number), and both factors keep "last used"', async (t) => {
  const fresh = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await page.clock.install()
  await signInAt(page, fresh.url, 'bob', PASSWORD)
  await enterCode(page, totp(fresh.demo!.totpUser.sharedSecret, fresh.clock.now()))
  t.equal(path(page), '/account')
  await page.goto(`${fresh.url}/mfa/enroll?method=sms`)
  await page.fill('#phone', '+1 555 555 0142')
  await page.click('#sms-enroll button[type=submit]')
  await page.waitForSelector('input[name=passCode]')
  const texts = (): number => fresh.emulator!.messages({ channel: 'sms' }).length
  const before = texts()
  fresh.clock.advance(5_000)

  // The person leaves before typing the code, then comes back by "Finish setup".
  await page.goto(`${fresh.url}/account`)
  const onAccount = (await page.locator('.factors li', { hasText: 'Text message' }).textContent()) ?? ''
  t.match(onAccount, 'setup not finished', '/account words a pending factor as the Security page does')
  t.notMatch(onAccount, 'pending activation')
  await page.goto(`${fresh.url}/account/security`)
  const row = page.locator('li', { hasText: 'Text message' })
  t.match(await row.textContent(), 'setup not finished')
  await Promise.all([page.waitForURL('**/mfa/enroll?method=sms'), row.locator('a:has-text("Finish setup")').click()])
  t.equal(await page.locator('#phone').count(), 0, 'no new phone form')
  t.equal(await page.locator('input[name=passCode]').count(), 1, 'the code field at once')
  t.match(await page.textContent('#sms-sent'), /^We sent a 6-digit code to \+1•+0142\.$/, 'says where the code went')
  t.equal(texts(), before, 'coming back sends nothing')
  // The first text went through the gateway (the page's script), yet its wait is counted down: Okta sent it when it
  // created the factor.
  t.match(await page.textContent('#sms-resend-wait [data-testid=resend]'), /^You can ask for another code in (25|24) s\.$/, 'resumed: the rest of the first text\'s wait')
  t.ok(await page.locator('#sms-resend').isDisabled(), 'resumed: the button waits for it')

  fresh.clock.advance(31_000) // Okta's 30 s between two texts
  await page.clock.runFor(31_000)
  await page.click('#sms-resend')
  await page.locator('#enroll-status', { hasText: 'We sent a new code to' }).waitFor()
  t.equal(texts(), before + 1, '"Send a new code" sends one')
  const resent = fresh.emulator!.lastMessage({ channel: 'sms' })!
  t.equal(resent.to, '+15555550142', 'to the same number')
  // Reloaded, the resumed step counts down the wait of the text this session sent (the server keeps its time).
  fresh.clock.advance(10_000)
  await page.reload()
  t.match(await page.textContent('#sms-resend-wait [data-testid=resend]'), /^You can ask for another code in (20|19) s\.$/, 'resumed: the rest of the wait')
  t.ok(await page.locator('#sms-resend').isDisabled(), 'resumed: the button waits')
  // Pressed at once anyway (as a page whose script had not run yet could): Okta refuses, the page says to use the one
  // just sent, and counts down what is left.
  await page.evaluate("document.getElementById('sms-resend').disabled = false")
  await page.click('#sms-resend')
  await page.locator('#enroll-error', { hasText: 'a moment ago' }).waitFor()
  t.match(await page.textContent('#enroll-error'), /^We sent you a code a moment ago: use that one\. You can ask for another code in \d+ seconds?\.$/, 'with JavaScript too, with the wait of Retry-After')
  t.match(await page.textContent('#sms-resend-wait [data-testid=resend]'), /^You can ask for another code in \d+ s\.$/, 'and the countdown of that wait')

  // Without JavaScript the resumed code step still takes the code (a form post, never the code in the address).
  const nojs = (await openPage(t, browser, { javaScriptEnabled: false })).page
  fresh.clock.advance(30_000)
  await signInAt(nojs, fresh.url, 'bob', PASSWORD)
  await enterCode(nojs, totp(fresh.demo!.totpUser.sharedSecret, fresh.clock.now()))
  await nojs.goto(`${fresh.url}/mfa/enroll?method=sms`)
  t.equal(await nojs.locator('#sms-activate input[name=passCode]').count(), 1, 'no JavaScript: the code step too')
  await nojs.fill('#passCode', resent.code === '000000' ? '111111' : '000000')
  await clickAndWait(nojs, '#sms-activate button[type=submit]')
  t.equal(path(nojs), '/mfa/enroll?method=sms', 'no JavaScript: the code is posted, not put in the address')
  t.match(await nojs.textContent('#sms-activate label[for=passCode] + [role=alert]'), /^That code didn't match\. Enter the code from the latest text message/, 'in text-message words, under the label of the field')
  t.equal(await nojs.getAttribute('#passCode', 'aria-describedby'), 'activate-error', 'which describes the field')
  t.equal(await nojs.locator('[role=alert]:visible', { hasText: "didn't match" }).count(), 1, 'said once, not at the top of the card too')
  t.equal(await nojs.locator('#sms-activate input[name=passCode]').count(), 1, 'and the code step again')
  t.equal(await nojs.locator('text=needs JavaScript').count(), 0, 'nothing says JavaScript is needed')
  // "Send a new code" without JavaScript: a form post, back to the code step, which says so.
  fresh.clock.advance(31_000)
  await clickAndWait(nojs, '#sms-resend')
  t.equal(path(nojs), '/mfa/enroll?method=sms', 'no JavaScript: back to the code step')
  t.match(await nojs.textContent('[data-testid=info]'), /^We sent a new code to \+1•+0142\.$/)
  t.equal(texts(), before + 2, 'a new text')

  // "use another number": the pending factor is dropped and the phone form comes back.
  fresh.clock.advance(31_000)
  await page.clock.runFor(31_000)
  await Promise.all([page.waitForURL('**/mfa/enroll?method=sms'), page.click('#sms-change')])
  await page.waitForSelector('#phone')
  await page.fill('#phone', '+1 555 555 0143')
  await page.click('#sms-enroll button[type=submit]')
  await page.waitForSelector('input[name=passCode]')
  const sent = fresh.emulator!.lastMessage({ channel: 'sms' })!
  t.equal(sent.to, '+15555550143')
  await page.fill('input[name=passCode]', sent.code)
  await Promise.all([page.waitForURL('**/account/security?added=1'), page.click('#sms-activate button[type=submit]')])
  const dates = async (label: string): Promise<string> => ((await page.locator('li', { hasText: label }).locator('[data-testid=factor-dates]').textContent()) ?? '').replace(/\s+/g, ' ')
  t.match(await dates('Authenticator app'), /last used .*ago|last used .*just now/, 'the factor of the sign-in keeps its "last used"')
  t.notMatch(await dates('Authenticator app'), 'not used in this session')
  t.match(await dates('Text message'), /last used .*just now/, 'and the new one has its own')
})

await t.test('with Redis down, the text-message setup says sign-in is briefly unavailable, not that Okta is (as without JavaScript)', async (t) => {
  const redis = await withRedis(t)
  const fresh = await startE2eApp(t, { redisUrl: redis.url })
  const { page } = await openPage(t, browser)
  await page.clock.install()
  await signInAt(page, fresh.url, 'bob', PASSWORD)
  await enterCode(page, totp(fresh.demo!.totpUser.sharedSecret, fresh.clock.now()))
  await page.goto(`${fresh.url}/mfa/enroll?method=sms`)
  await page.fill('#phone', '+1 555 555 0144')
  await page.click('#sms-enroll button[type=submit]')
  await page.waitForSelector('input[name=passCode]')
  await redis.stop()
  fresh.clock.advance(31_000)
  await page.clock.runFor(31_000)
  const STORE = "Sign-in is briefly unavailable, so we can't open this page. Try again in a minute."
  await page.click('#sms-resend')
  await page.locator('#enroll-error', { hasText: 'briefly unavailable' }).waitFor()
  t.equal(await page.textContent('#enroll-error'), STORE, '"Send a new code": the store, in the words of a page')
  await page.evaluate("document.getElementById('enroll-error').textContent = ''")
  await page.click('#sms-change')
  await page.locator('#enroll-error', { hasText: 'briefly unavailable' }).waitFor()
  t.equal(await page.textContent('#enroll-error'), STORE, '"use another number": the same, not "Okta is unavailable"')
  await redis.start()
})

await t.test('a protected page without MFA goes to /mfa and comes back after the code', async (t) => {
  const { page } = await openPage(t, browser)
  await signIn(page, 'bob')
  t.equal(path(page), '/mfa', 'bob has an authenticator already')
  await page.goto(`${app.url}/account/security`)
  t.equal(path(page), '/mfa', 'password alone does not open /account/security')
  await enterCode(page, code(app.demo!.totpUser.sharedSecret))
  t.equal(path(page), '/account/security', 'after the code, the page he asked for')
  t.match(await page.textContent('.factors'), 'Authenticator app')
})

await t.test('carol gets her code by sms from the emulator outbox, on a phone-sized screen', async (t) => {
  const { page } = await openPage(t, browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  await signIn(page, 'carol')
  t.equal(path(page), '/mfa')
  t.ok(await page.isVisible('[data-testid=outbox-hint]'), 'the page says where the code goes')
  t.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), 'no sideways scrolling on a phone')

  await clickAndWait(page, 'form.send-code button')
  t.match(await page.textContent('[data-testid=success]'), /We sent a code to \+1•+0103/)
  await clickAndWait(page, 'a[href="/dev/outbox"]')
  const sent = app.emulator!.messages({ channel: 'sms' }).filter((m) => m.to === '+15555550103').at(-1)
  t.ok(sent, 'the emulator has the message')
  t.equal((await page.textContent('[data-testid=outbox-code]'))?.trim(), sent!.code, 'the outbox page shows the code')

  await page.goto(`${app.url}/mfa`)
  await enterCode(page, sent!.code)
  t.equal(path(page), '/account')
  t.match(await page.textContent('.factors'), 'Text message')
})

await t.test('over OAuth 2.0 with DPoP (DEMO_OKTA_AUTH=oauth): sign in, enroll from the QR code, verify, the protected page; no SSWS call', async (t) => {
  // Client assertions and DPoP proofs carry real times: this app and its emulator run on the real clock.
  const oauth = await startE2eApp(t, { emulatorAuth: 'oauth' }, { realClock: true })
  const emulator = oauth.emulator!
  const { page } = await openPage(t, browser)
  const login = async (username: string): Promise<void> => {
    await page.goto(`${oauth.url}/login`)
    await page.fill('#username', username)
    await page.fill('#password', PASSWORD)
    await clickAndWait(page, 'form[action="/login"] button[type=submit]')
  }
  await page.goto(`${oauth.url}/account`)
  t.equal(path(page), '/login')
  await login('alice')
  t.equal(path(page), '/mfa/enroll', 'the app read alice\'s factors over OAuth: none yet')
  await clickAndWait(page, '[data-testid=start-totp]') // the factor is created over OAuth when the person starts
  await page.waitForSelector('#manual-key:not(:empty)')
  const qr = decodeQr((await page.getAttribute('#qr', 'src')) ?? '')
  const secret = new URL(qr ?? 'otpauth://totp/x').searchParams.get('secret') ?? ''
  t.equal(secret, ((await page.textContent('#manual-key')) ?? '').replace(/\s+/g, ''), 'the QR code carries the manual key')
  await page.fill('#passCode', totp(secret, Date.now()))
  await Promise.all([page.waitForURL('**/account'), page.click('#totp-activate button[type=submit]')])
  t.equal(path(page), '/account', 'enrolled and activated at the emulator over OAuth')
  t.match(await page.textContent('.factors'), 'Authenticator app')

  await clickAndWait(page, 'nav a[href="/logout"]')
  await login('bob')
  t.equal(path(page), '/mfa', 'bob is asked for his code')
  await page.goto(`${oauth.url}/account/security`)
  t.equal(path(page), '/mfa', 'the protected page needs MFA')
  await enterCode(page, totp(oauth.demo!.totpUser.sharedSecret, Date.now()))
  t.equal(path(page), '/account/security', 'verified over OAuth: the protected page opens')

  t.ok(emulator.oauth.tokenRequests() > 0, 'the app got its tokens at /oauth2/v1/token')
  t.equal(emulator.oauth.sswsRequests(), 0, 'and never sent the SSWS token')
})

/** The Express example on its own emulator, with grace (password cobol-1959) and her active TOTP factor of `GRACE_SECRET`. */
const GRACE_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
async function startExpress (t: { teardown: (fn: () => unknown) => void }): Promise<{ url: string, emu: Awaited<ReturnType<typeof withEmulator>> }> {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: 'ostexpress000000001', factorType: 'token:software:totp', sharedSecret: GRACE_SECRET }] }] })
  const express = buildExpressApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'x'.repeat(32),
    clock: emu.clock.now,
  })
  return { url: await listenLoopback(t, express.app, express.close), emu }
}

await t.test('the Express example: a double click on Verify sends the code once, and the person is signed in', async (t) => {
  const { url, emu } = await startExpress(t)
  const { page } = await openPage(t, browser)
  await page.goto(`${url}/login`)
  await page.fill('input[name=username]', 'grace')
  await page.fill('input[name=password]', 'cobol-1959')
  await clickAndWait(page, 'form[action="/login"] button')
  t.equal(path(page), '/mfa')
  const posts = await slowPosts(page)
  await page.fill('input[name=passCode]', totp(GRACE_SECRET, emu.clock.now()))
  const landed = page.waitForURL((u) => u.pathname !== '/mfa').then(() => 'landed', (err: Error) => err.message.slice(0, 80))
  await clickTwice(page, 'form[action="/mfa"] button')
  t.equal(await landed, 'landed', 'the first post leads on')
  t.equal(path(page), '/account', 'signed in with the first post')
  t.equal(posts.length, 1, 'one post')
  await page.goto(`${url}/account`)
  t.equal(path(page), '/account', 'and still signed in')
})

await t.test('the Express example as a person uses it: keyboard only, Back and reload, two tabs, and a remembered device', async (t) => {
  const { url, emu } = await startExpress(t)
  const { page, context } = await openPage(t, browser)
  const FOCUSED = "[document.activeElement.getAttribute('name'), document.activeElement.getAttribute('aria-describedby')].filter(Boolean).join(' ')"
  // Chromium applies `autofocus` at a rendering step after `load`: wait (polling, up to 5 s) for the field expected,
  // then report what has the focus, so a wrong field is still a failure with its name.
  const focused = async (want: string): Promise<string> => {
    await page.waitForFunction(`${FOCUSED} === ${JSON.stringify(want)}`, undefined, { timeout: 5000 }).catch(() => undefined)
    return String(await page.evaluate(FOCUSED))
  }
  // Back asks the server again (the pages are no-store): a page restored from the back-forward cache has no response.
  const back = async (what: string): Promise<void> => { t.not(await page.goBack(), null, `${what}: asked of the server again`) }
  const alert = async (): Promise<string> => (await page.locator('[role=alert]').allTextContents()).join(' ')
  const enter = async (): Promise<void> => { await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]) }

  await page.goto(`${url}/account?from=bookmark`)
  t.equal(path(page), '/login', 'a protected page opened directly: sign in first')
  t.equal(await focused('username'), 'username', 'the cursor starts in Username')
  await page.keyboard.type('grace')
  await page.keyboard.press('Tab')
  await page.keyboard.type('wrong-password')
  await enter()
  t.equal(await alert(), 'Wrong username or password.', 'a wrong password said in words, as an alert')
  t.equal(await focused('password error'), 'password error', 'the cursor in Password, which names the error')
  await page.keyboard.type('cobol-1959')
  await enter()
  t.equal(path(page), '/mfa')
  t.equal(await focused('passCode'), 'passCode', 'the cursor in the code field')
  await back('Back to the sign-in form')
  t.equal(path(page), '/mfa', 'Back to the sign-in form: signed in already, the code form again')
  await page.focus('input[name=passCode]')
  await page.keyboard.type(totp(GRACE_SECRET, emu.clock.now()) === '000000' ? '111111' : '000000')
  await enter()
  t.match(await alert(), /didn't match/, 'a wrong code said in words')
  t.equal(await focused('passCode error'), 'passCode error', 'the cursor back in the code field, which names the error')
  t.equal(await page.getAttribute('input[name=passCode]', 'aria-invalid'), 'true')
  await page.reload()
  t.equal(path(page), '/mfa', 'reloading after a wrong code sends nothing again (the answer was a redirect)')
  t.equal(await alert(), '', 'and the message was said once')

  await page.focus('input[name=passCode]')
  await page.keyboard.type(totp(GRACE_SECRET, emu.clock.now()))
  await page.keyboard.press('Tab')
  await page.keyboard.press('Space')
  t.ok(await page.isChecked('input[name=rememberDevice]'), '"Remember this device" ticked from the keyboard')
  await enter()
  t.equal(path(page), '/account?from=bookmark', 'the deep link survived the password and the code')
  await back('Back after the code')
  t.equal(path(page), '/account', 'Back after the code: the account again, not the code form nor a resubmission prompt')
  t.equal(await page.textContent('h1'), 'Your account')

  const other = await context.newPage()
  await other.goto(`${url}/account`)
  t.equal(new URL(other.url()).pathname, '/account', 'a second tab shares the session')
  await clickAndWait(page, 'form[action="/logout"] button')
  t.equal(await page.textContent('[role=status]'), 'You signed out.')
  await back('Back after signing out')
  t.equal(path(page), '/login', 'Back after signing out: the account is not shown again')
  await Promise.all([other.waitForNavigation({ waitUntil: 'load' }), other.click('form[action="/devices/forget"] button')])
  t.equal(new URL(other.url()).pathname, '/login', 'the other tab acting after the sign-out goes to sign-in')
  t.equal(await other.textContent('[role=status]'), 'You were signed out. Sign in again.', 'and says why')

  await page.goto(`${url}/login`)
  await page.fill('input[name=username]', 'grace')
  await page.fill('input[name=password]', 'cobol-1959')
  await clickAndWait(page, 'form[action="/login"] button')
  t.equal(path(page), '/account', 'the remembered device: no code after the password')
  t.match(await page.textContent('body'), 'No code was asked for', 'and the account says so')
})
