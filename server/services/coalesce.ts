// Coalesced reads: concurrent lookups by key share one batched read (a join storm's handshakes,
// room lists and snapshots cost a few queries, not a few per socket).

/**
 * Returns a lookup that batches its keys into `load`. A key asked for while a read is under way
 * goes into the next one, issued when that read is done, so every answer comes from a read
 * issued after it was asked for (never from one already under way: a write the caller made
 * just before asking is seen). One read at a time; at most `max` keys per read. A failed read
 * fails the lookups in it, not the next ones. Keys `load` leaves out answer undefined.
 */
export function createCoalescer<K, V>(load: (keys: K[]) => Promise<Map<K, V>>, opts: { max: number }): (key: K) => Promise<V | undefined> {
  let waiting: { keys: Set<K>; done: Promise<Map<K, V>> } | null = null;
  let last: Promise<unknown> = Promise.resolve();
  return (key) => {
    if (!waiting || waiting.keys.size >= opts.max) {
      const keys = new Set<K>();
      const done = last.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        // From here on a new key waits for the next read.
        if (waiting?.keys === keys) waiting = null;
        return load([...keys]);
      });
      waiting = { keys, done };
      last = done;
    }
    waiting.keys.add(key);
    return waiting.done.then((m) => m.get(key));
  };
}
