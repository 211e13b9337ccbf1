// Waiting for what a test expects instead of sleeping a fixed time: on a loaded machine (the test
// command runs these beside compilers and chains) timers fire late, and a test that counts what
// happened in 60 ms fails there. Fixed sleeps stay only where a test checks that nothing happens.

/** Resolves once `check` holds (polled every 10 ms), or fails after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
