// Chromium for the browser tests: Debian's build driven by playwright-core (no browser download), one
// browser per test file, a fresh context per test, and a screenshot of every open page when a test fails.
import { mkdir } from 'node:fs/promises'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'

/** Where failure screenshots go (gitignored). */
export const RESULTS_DIR = new URL('../../test-results/', import.meta.url)

/** Launches headless Chromium from CHROMIUM_PATH or /usr/bin/chromium. */
export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** The part of a tap test this helper uses. */
interface TapLike {
  name: string
  passing: () => boolean
  teardown: (fn: () => unknown) => void
}

/**
 * A new context and page for one test. When the test fails, every page of the context is saved as
 * `test-results/<test name>-<n>.png` before the context closes. Page errors fail nothing but are kept for the log.
 */
export async function openPage (t: TapLike, browser: Browser, options: BrowserContextOptions = {}): Promise<{ page: Page, context: BrowserContext }> {
  const context = await browser.newContext(options)
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => { pageErrors.push(err.message) })
  t.teardown(async () => {
    if (!t.passing()) {
      await mkdir(RESULTS_DIR, { recursive: true })
      const slug = t.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 80)
      let n = 0
      for (const p of context.pages()) {
        n += 1
        const path = new URL(`${slug}-${n}.png`, RESULTS_DIR)
        await p.screenshot({ path: path.pathname, fullPage: true }).catch(() => undefined)
        console.error(`# screenshot of ${p.url()} saved to ${path.pathname}${pageErrors.length > 0 ? `; page errors: ${pageErrors.join(' | ')}` : ''}`)
      }
    }
    await context.close()
  })
  return { page, context }
}

/** Clicks and waits for the navigation it starts (a form post or a link). */
export async function clickAndWait (page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)])
}

/** Signs in on the demo's form at `baseUrl` (going to /login first unless the page is already there). */
export async function signInAt (page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  if (new URL(page.url()).pathname !== '/login' || !page.url().startsWith(baseUrl)) await page.goto(`${baseUrl}/login`)
  await page.fill('#username', username)
  await page.fill('#password', password)
  await clickAndWait(page, 'form[action="/login"] button[type=submit]')
}

/** Types a code into the page's code form and submits it. */
export async function enterCode (page: Page, passCode: string): Promise<void> {
  await page.fill('#passCode', passCode)
  await clickAndWait(page, 'form.code-form button[type=submit]')
}
