// How long `work` held the event loop: the longest delay of a 10 ms timer while it ran. The timer ticks once before the
// work starts and once after it ends: a block before the sampler's first tick, or one the sampler only sees after
// `disable()`, would otherwise go unmeasured (a synchronous block right after `enable()` read as 0 ms).
import { monitorEventLoopDelay } from 'node:perf_hooks'

const tick = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 30)) }

/** Runs `work`; returns its result and the longest event-loop delay seen meanwhile, in ms. */
export async function withLoopDelay<T> (work: () => Promise<T> | T): Promise<{ result: T, maxDelayMs: number }> {
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  await tick()
  try {
    const result = await work()
    await tick()
    return { result, maxDelayMs: loop.max / 1e6 }
  } finally {
    loop.disable()
  }
}
