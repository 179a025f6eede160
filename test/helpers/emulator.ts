// Starts an @okta-mfa/emulator for one tap test and stops it when the test ends, with a clock the
// test can move (no sleeping). Use: `const emu = await withEmulator(t); emu.clock.advance(30_000)`.
import { startEmulator, type Emulator, type EmulatorOptions } from '@okta-mfa/emulator'

/** A mutable clock: `now()` is what the emulator reads; `advance(ms)` / `set(ms)` move it. */
export interface TestClock {
  now: () => number
  advance: (ms: number) => number
  set: (ms: number) => number
}

/** A clock starting at `startMs` (default: a fixed moment at the start of a TOTP step). */
export function testClock (startMs = Date.UTC(2030, 0, 1, 12, 0, 0)): TestClock {
  let now = startMs
  return {
    now: () => now,
    advance: (ms) => (now += ms),
    set: (ms) => (now = ms),
  }
}

/** A started emulator plus its clock and a ready-made SSWS header. */
export interface TestEmulator extends Emulator {
  clock: TestClock
  /** `{ authorization: 'SSWS <token>' }` */
  authHeader: { authorization: string }
}

/**
 * Starts an emulator on a random loopback port with token 'test-token', quiet, and a test clock
 * (pass `clock: null` in opts for the real clock); registers `t.teardown(close)`.
 */
export async function withEmulator (
  t: { teardown: (fn: () => unknown) => void },
  opts: Omit<EmulatorOptions, 'clock'> & { clock?: TestClock | null } = {},
): Promise<TestEmulator> {
  const clock = opts.clock === null ? { now: Date.now, advance: () => Date.now(), set: () => Date.now() } : opts.clock ?? testClock()
  const { clock: _ignored, ...rest } = opts
  const emu = await startEmulator({ port: 0, token: 'test-token', quiet: true, ...rest, clock: clock.now })
  t.teardown(() => emu.close())
  return { ...emu, clock, authHeader: { authorization: `SSWS ${emu.token}` } }
}

/** A parsed emulator response. */
export interface EmuResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

/**
 * One request to the emulator with its SSWS header. `body` is JSON-encoded unless it is a string
 * (sent as is, for malformed-input tests). `headers` override the defaults.
 */
export async function emuFetch (
  emu: { url: string, token: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<EmuResponse> {
  const res = await fetch(emu.url + path, {
    method,
    headers: { authorization: `SSWS ${emu.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = text === '' ? undefined : JSON.parse(text) } catch { /* not JSON: keep the text */ }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** Creates a user and enrolls + activates a Google TOTP factor; returns ids (the clock is moved one step so the next code is fresh). */
export async function userWithTotp (emu: TestEmulator, login = `u${Math.random().toString(36).slice(2, 10)}@example.com`): Promise<{ userId: string, factorId: string }> {
  const user = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login, email: login, firstName: 'Test', lastName: 'User' } })
  if (user.status !== 200) throw new Error(`create user: ${user.text}`)
  const factor = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  if (factor.status !== 200) throw new Error(`enroll: ${factor.text}`)
  const act = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors/${factor.body.id}/lifecycle/activate`, { passCode: emu.totpCode(factor.body.id) })
  if (act.status !== 200) throw new Error(`activate: ${act.text}`)
  emu.clock.advance(30_000)
  return { userId: user.body.id, factorId: factor.body.id }
}
