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
