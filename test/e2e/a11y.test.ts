// The demo (examples/fastify-app) in Chromium, for what a person using a keyboard or a screen reader meets: a focus
// ring that stands out from what is around it (3:1, WCAG 2.1 SC 1.4.11) on the light cards and on the dark header,
// a resend countdown that a screen reader says when it appears and when it reaches "now" but not at every tick (and
// that keeps to the clock, not to its timer's ticks), and
// the text-message setup with JavaScript showing the number masked as the pages without it do, and its "Send a new code"
// saying a timeout, an outage and Okta's lockout as the pages without JavaScript do.
import t from 'tap'
import type { Page } from 'playwright-core'
import { maskPhoneNumber } from '@okta-mfa/core'
import { PASSWORD, startE2eApp } from '../helpers/e2e-app.js'
import { clickAndWait, launchBrowser, openPage, signInAt } from '../helpers/e2e-browser.js'

const browser = await launchBrowser()
t.teardown(() => browser.close())

/** Relative luminance of an `rgb(r, g, b)` colour (WCAG 2.1). */
function luminance (rgb: string): number {
  const [r, g, b] = (rgb.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((c) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** The contrast ratio of two colours. */
function contrast (a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

/** The little of the browser's globals the checks below use (the tests compile without the DOM's types). */
interface El { tagName: string, id: string, textContent: string | null, parentElement: El | null, closest: (selector: string) => El | null, getAttribute: (name: string) => string | null }
interface PageGlobals {
  document: { activeElement: El, body: El, querySelector: (selector: string) => El }
  getComputedStyle: (el: El) => { outlineStyle: string, outlineWidth: string, outlineColor: string, backgroundColor: string }
  MutationObserver: new (fn: (records: Array<{ target: El | { parentElement: El | null } }>) => void) => { observe: (node: El, options: Record<string, boolean>) => void }
  said: Array<{ live: string, text: string }>
}

/** The focused element: its name, its focus ring, and the colour around the ring (the first opaque background outside it). */
async function focusRing (page: Page): Promise<{ what: string, style: string, width: number, color: string, around: string, header: boolean }> {
  return await page.evaluate(() => {
    const { document, getComputedStyle } = globalThis as unknown as PageGlobals
    const el = document.activeElement
    const css = getComputedStyle(el)
    let around = 'rgb(255, 255, 255)'
    for (let node = el.parentElement; node !== null; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor
      if (bg !== 'transparent' && !/rgba\(.*, 0\)$/.test(bg)) { around = bg; break }
    }
    const what = `${el.tagName.toLowerCase()}${el.id === '' ? '' : '#' + el.id} "${(el.textContent ?? '').trim().slice(0, 30)}"`
    return { what, style: css.outlineStyle, width: parseFloat(css.outlineWidth), color: css.outlineColor, around, header: el.closest('.top') !== null }
  })
}

await t.test('the focus ring has at least 3:1 contrast with what is around it, on the cards and on the dark header', async (t) => {
  const app = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await signInAt(page, app.url, 'carol', PASSWORD) // /mfa: header links, a send button, the code field, a checkbox, Verify
  let onCard = 0
  let onHeader = 0
  // Every stop of the keyboard's tab order, wrapping past the end of the page to the header.
  const seen = new Set<string>()
  for (let i = 0; i < 16; i++) {
    await page.keyboard.press('Tab')
    const ring = await focusRing(page)
    if (ring.what.startsWith('body')) continue
    if (seen.has(ring.what)) break // round the page once
    seen.add(ring.what)
    t.not(ring.style, 'none', `${ring.what}: a focus ring`)
    t.ok(ring.width >= 2, `${ring.what}: ${ring.width}px wide`)
    const ratio = contrast(ring.color, ring.around)
    t.ok(ratio >= 3, `${ring.what}: ring ${ring.color} on ${ring.around}: ${ratio.toFixed(2)}:1 (at least 3:1)`)
    if (ring.header) onHeader++
    else onCard++
  }
  t.ok(onCard >= 3, `controls on the card checked (${onCard})`)
  t.ok(onHeader >= 1, `links on the header checked (${onHeader})`)
})

await t.test('the resend countdown: said as sent and at "now", its ticking number silent to screen readers', async (t) => {
  const app = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await page.clock.install()
  await signInAt(page, app.url, 'carol', PASSWORD)
  await clickAndWait(page, 'form.send-code button')
  // What a screen reader would be told: for every change of the page's text, the live setting (ARIA) of the nearest
  // element that has one (aria-live, or a role's own: status polite, alert assertive, timer off) and that one's text.
  await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals
    const said: Array<{ live: string, text: string }> = []
    w.said = said
    const implicit: Record<string, string> = { status: 'polite', log: 'polite', alert: 'assertive', timer: 'off', marquee: 'off' }
    const liveOf = (node: El | { parentElement: El | null }): { live: string, text: string } => {
      for (let el = ('tagName' in node ? node : node.parentElement); el !== null; el = el.parentElement) {
        const live = el.getAttribute('aria-live') ?? implicit[el.getAttribute('role') ?? '']
        if (live !== undefined) return { live, text: (el.textContent ?? '').replace(/\s+/g, ' ').trim() }
      }
      return { live: 'none', text: '' }
    }
    new w.MutationObserver((records) => {
      for (const r of records) said.push(liveOf(r.target))
    }).observe(w.document.body, { subtree: true, childList: true, characterData: true })
  })
  const region = await page.evaluate(() => {
    const line = (globalThis as unknown as PageGlobals).document.querySelector('[data-testid=resend]')
    return { role: line.getAttribute('role'), text: (line.textContent ?? '').replace(/\s+/g, ' ').trim() }
  })
  t.same(region, { role: 'status', text: 'You can ask for another code in 30 s.' }, 'the sentence as the server sends it is a status (said once)')

  await page.clock.runFor(5_000)
  t.match(await page.textContent('.countdown'), /^2[5-6]$/, 'the number counts down on the screen')
  const ticks = await page.evaluate(() => (globalThis as unknown as PageGlobals).said.splice(0))
  t.ok(ticks.length >= 4, `the number changed (${ticks.length} changes)`)
  t.same(ticks.filter((c) => c.live !== 'off'), [], 'none of its changes is in a live region that speaks')

  await page.clock.runFor(30_000)
  const end = await page.evaluate(() => (globalThis as unknown as PageGlobals).said.splice(0))
  t.same(end.filter((c) => c.live !== 'off'), [{ live: 'polite', text: 'You can ask for another code now.' }], '"now" is said, once')
  t.notOk(await page.locator('form.send-code button').isDisabled(), 'and the button works again')
})

await t.test('the resend countdown keeps to the clock, not to its ticks, and one replaced by a newer one lets that one hold the button', async (t) => {
  const app = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await page.clock.install()
  await signInAt(page, app.url, 'carol', PASSWORD)
  await clickAndWait(page, 'form.send-code button')
  const button = page.locator('form.send-code button')
  t.ok(await button.isDisabled(), 'the button waits')
  // A background tab's timers run late: 20 s go by on the clock while no tick fires.
  await page.clock.setSystemTime(Date.now() + 20_000)
  await page.clock.runFor(1_000)
  t.match(await page.textContent('.countdown'), /^(9|10)$/, 'the number is what is left of the 30 s, not 30 less the ticks seen')
  // A newer sentence takes the old one's place (as enroll.js writes one when another code is sent): 30 s from now.
  await page.evaluate(`(() => {
    const old = document.querySelector('.countdown')
    const newer = old.cloneNode(false)
    newer.removeAttribute('data-started')
    newer.dataset.seconds = '30'
    newer.textContent = '30'
    old.replaceWith(newer)
    window.startCountdowns(document)
  })()`)
  await page.clock.runFor(15_000)
  t.ok(await button.isDisabled(), 'the replaced countdown, past its own end, did not let the button go')
  t.match(await page.textContent('[data-testid=resend]'), /^You can ask for another code in (15|16) s\.$/, 'the newer one counts on')
  await page.clock.runFor(16_000)
  t.notOk(await button.isDisabled(), 'at the newer one\'s end the button works')
  t.equal(await page.textContent('[data-testid=resend]'), 'You can ask for another code now.')
})

await t.test('the text-message setup with JavaScript shows the number masked, by the same rule as the server', async (t) => {
  const app = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await signInAt(page, app.url, 'alice', PASSWORD)
  await page.goto(`${app.url}/mfa/enroll?method=sms`)
  // A number without its country code: the script's error is what the field's description says, as without JavaScript.
  await page.fill('#phone', '555 0142')
  await page.click('#sms-enroll button[type=submit]')
  await page.waitForSelector('#enroll-error:not([hidden])')
  const described = await page.evaluate(() => {
    const { document } = globalThis as unknown as { document: { activeElement: El, getElementById: (id: string) => El | null } }
    const field = document.activeElement
    return { id: field.id, invalid: field.getAttribute('aria-invalid'), text: (field.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent?.trim() ?? '').join(' ') }
  })
  t.equal(described.id, 'phone', 'the focus is on the number')
  t.equal(described.invalid, 'true')
  t.match(described.text, /^Enter the number with its country code/, 'its description starts with the error')
  for (const [typed, shown] of [['+1 555 555 0142', '+1••••••0142'], ['+44 7700 900123', '+44••••••0123'], ['+971 50 123 4567', '+971•••••4567']] as const) {
    app.clock.advance(31_000) // Okta's wait between two texts
    await page.fill('#phone', typed)
    await page.click('#sms-enroll button[type=submit]')
    await page.waitForSelector('#sms-activate #passCode')
    const sent = ((await page.textContent('#sms-sent')) ?? '').trim()
    t.equal(sent, `We sent a 6-digit code to ${shown}.`, `${typed}: masked`)
    t.equal(shown, maskPhoneNumber(typed), `${typed}: as the server masks it`)
    await page.goto(`${app.url}/mfa/enroll?method=sms`) // the setup resumed at its code step
    await clickAndWait(page, '#sms-change') // "use another number": the phone step again
    await page.waitForSelector('#phone')
  }
})

await t.test('"Send a new code" with JavaScript: a timeout and an outage in a send\'s words, Okta\'s lockout as the locked view', async (t) => {
  const app = await startE2eApp(t)
  const { page } = await openPage(t, browser)
  await signInAt(page, app.url, 'alice', PASSWORD)
  await page.goto(`${app.url}/mfa/enroll?method=sms`)
  await page.fill('#phone', '+1 555 555 0142')
  await page.click('#sms-enroll button[type=submit]')
  await page.waitForSelector('#sms-activate #passCode')
  app.clock.advance(31_000) // past Okta's 30 s after the first text: the resumed page's button does not wait
  await page.goto(`${app.url}/mfa/enroll?method=sms`) // resumed: "Send a new code" is the page's form, sent by enroll.js
  // The app's JSON answers (outcomes.test.ts gets them from the app behind a faulty Okta), as enroll.js receives them.
  const answers = {
    504: { code: 'UPSTREAM_TIMEOUT', said: "Okta is taking too long to answer, so we can't tell whether your code was sent. Try again in a minute." },
    503: { code: 'UPSTREAM_UNAVAILABLE', said: "Okta is unavailable right now (we can't reach it), so we can't send you a code. Try again in a minute." },
    403: { code: 'LOCKED_OUT', said: 'Your account is locked. Ask an administrator to unlock it.' },
  } as const
  for (const status of [504, 503, 403] as const) {
    const { code, said } = answers[status]
    await page.route('**/mfa/enroll/resend', (route) => route.fulfill({ status, headers: { 'x-error-code': code }, contentType: 'application/json', body: JSON.stringify({ error: { code } }) }))
    await page.click('#sms-resend')
    await page.locator('#enroll-error', { hasText: said }).waitFor({ timeout: 5_000 }).catch(() => {})
    t.equal(((await page.textContent('#enroll-error')) ?? '').trim(), said, `${status} ${code}: said in its words`)
    await page.unroute('**/mfa/enroll/resend')
  }
  // Okta's lockout: no code field any more, an administrator as the way out (as the page without JavaScript answers).
  t.equal(await page.locator('#passCode').count(), 0, 'locked: no code field')
  t.equal(await page.locator('[data-testid=locked-way-out] a[href="/logout"]').count(), 1, 'locked: Sign out, once an administrator has unlocked it')
})
