// A cancellation flag that needs neither the DOM nor Node (AbortController is in neither ES lib).
import type { CancelSignal } from "./ports.js";

export function cancellable(): { signal: CancelSignal; cancel(): void } {
  const listeners = new Set<() => void>();
  let aborted = false;
  return {
    signal: {
      get aborted() {
        return aborted;
      },
      addEventListener: (_type, fn) => void listeners.add(fn),
      removeEventListener: (_type, fn) => void listeners.delete(fn),
    },
    cancel() {
      if (aborted) return;
      aborted = true;
      for (const fn of [...listeners]) fn();
    },
  };
}
