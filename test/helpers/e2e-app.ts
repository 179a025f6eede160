// Starts the example fastify-app (with its in-process emulator and demo users) on a loopback port for one tap
// test, with a clock the test moves instead of sleeping, and stops it when the test ends.
import { randomBytes } from 'node:crypto'
import { buildApp, type BuildAppOptions, type BuiltApp } from '../../examples/fastify-app/dist/index.js'
import { CookieJar } from './http.js'
import { testClock, type TestClock } from './emulator.js'

/** The demo accounts' password (examples/fastify-app/src/users.ts). */
export const PASSWORD = 'correct-horse-battery'

/** A running example app. */
export interface E2eApp extends BuiltApp {
  url: string
  clock: TestClock
  /** A fresh cookie jar on the app. */
  jar: () => CookieJar
}

/** The real clock in TestClock's shape (`advance`/`set` do nothing): for OAuth, whose assertions and proofs carry real times. */
function realClock (): TestClock {
  return { now: () => Date.now(), advance: () => Date.now(), set: () => Date.now() }
}

/**
 * Builds and starts the app; `t.teardown` closes it (and so its emulator and client).
 * The emulator is quiet (no console echo) unless `options.emulator` says otherwise.
 * `extra.realClock`: the app and its emulator on the real clock (needed with `emulatorAuth: 'oauth'`).
 */
export async function startE2eApp (
  t: { teardown: (fn: () => unknown) => void },
  options: Partial<BuildAppOptions> = {},
  extra: { realClock?: boolean } = {},
): Promise<E2eApp> {
  const clock = extra.realClock === true ? realClock() : testClock()
  const built = await buildApp({ sessionKey: randomBytes(32), clock: clock.now, emulator: { quiet: true }, ...options })
  t.teardown(() => built.app.close())
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('the app is not listening on a TCP port')
  const url = `http://127.0.0.1:${address.port}`
  return { ...built, url, clock, jar: () => new CookieJar(url) }
}

/** The CSRF token of the first form on a page, else of its `<meta name="csrf-token">`. */
export function csrfOf (html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html) ?? /<meta name="csrf-token" content="([^"]+)">/.exec(html)
  if (match === null) throw new Error('no CSRF field on this page')
  return match[1]!
}

/** Text of the page's error notice (role="alert"), tags stripped; undefined when there is none. */
export function errorText (html: string): string | undefined {
  const match = /<(div|p) [^>]*role="alert"[^>]*>([\s\S]*?)<\/\1>/.exec(html)
  return match === null ? undefined : match[2]!.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim()
}

/** The page as a person reads it: tags dropped, entities decoded, spaces collapsed. */
export function pageText (html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim()
}

/** Signs in with the password through the login form (GET /login for the token, then POST); returns the POST's response. */
export async function passwordLogin (jar: CookieJar, username: string, password = PASSWORD): Promise<Awaited<ReturnType<CookieJar['fetch']>>> {
  const form = await jar.fetch('/login')
  return await jar.fetch('/login', { form: { username, password, _csrf: csrfOf(form.text) } })
}
