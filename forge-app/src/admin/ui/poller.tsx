/**
 * How the page polls while a sync runs: a function that starts calling `tick` periodically and returns a stop
 * function. The page uses an interval; tests pass their own and tick it by hand (no real timers).
 */
export type Poller = (tick: () => void) => () => void;

/** Polls every `ms` milliseconds. */
export function intervalPoller(ms: number): Poller {
  return (tick) => {
    const id = setInterval(tick, ms);
    return () => clearInterval(id);
  };
}
