// A virtualised, bottom-anchored list: only the rows in and near the viewport are in the DOM.
// Row heights are measured after each render; the first visible row keeps its place on screen
// when older rows are added above it or heights change, so paging back never jumps.
import type { VNode } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";

/** Height assumed for a row not yet measured, until rows have been measured (then: the commonest height). */
const ESTIMATE = 40;
/** Pixels rendered above and below the viewport. */
const OVERSCAN = 300;
/** Pixels rendered above the viewport while following the bottom (nothing is below it then). */
const FOLLOW_OVERSCAN = 100;
/** Within this many pixels of the end counts as at the end. */
const END_SLACK = 8;

export type VirtualListProps<T> = {
  items: readonly T[];
  keyOf(item: T): string;
  /**
   * The row for an item, keyed `key`: one element with `data-row={key}` and class `row` (what the
   * list measures). Making the element there, in a component that renders again only when its
   * row changed, spares the list a diff of every row's wrapper on each render.
   */
  row(item: T, key: string): VNode;
  /** Changes when the list shows something else (another chat): measurements are dropped. */
  listKey: string | number;
  /** Keep the newest row in view. */
  following: boolean;
  onFollowing(following: boolean): void;
  /** The user is near the top: load older rows. */
  onNearTop(): void;
  /** The user reached the bottom (newer rows may be missing from the window). */
  onBottom(): void;
  /**
   * Whether the view may keep this row in place when rows are added above it or heights change
   * (default: every row). A row that always sits at the top of the window, such as a "new
   * messages" line above a window of unread messages, stays first as older rows come in: kept
   * in place, it would carry the view to the oldest row.
   */
  anchorable?(item: T): boolean;
  /** Scroll this row into view (a jump), once. */
  reveal?: string | null;
  label: string;
};

/** First index whose offset is greater than y. */
function upper(offsets: Float64Array, n: number, y: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function VirtualList<T>(p: VirtualListProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const listKey = useRef(p.listKey);
  const width = useRef(0);
  const [view, setView] = useState({ top: 0, height: 600 });
  // The scroller's scrollTop as last seen: the rows rendered when not following. (A ref, so a
  // scroll that renders nothing again still leaves it right for when following stops.)
  const scrollY = useRef(0);
  const [, remeasured] = useState(0);
  const revealed = useRef<string | null>(null);
  const count = useRef(0);
  const newest = useRef<string | undefined>(undefined);
  // How many measured rows have each height: an unmeasured row is assumed to have the commonest
  // one, so a new one-line message usually measures as assumed and needs no second render.
  const tally = useRef(new Map<number, number>());
  const estimate = useRef(ESTIMATE);

  if (listKey.current !== p.listKey) {
    listKey.current = p.listKey;
    heights.current.clear();
    tally.current.clear();
    estimate.current = ESTIMATE;
    anchor.current = null;
  }

  const n = p.items.length;
  const keys = new Array<string>(n);
  const offsets = new Float64Array(n + 1);
  const est = estimate.current;
  for (let i = 0; i < n; i++) {
    const k = p.keyOf(p.items[i]!);
    keys[i] = k;
    offsets[i + 1] = offsets[i]! + (heights.current.get(k) ?? est);
  }
  const total = offsets[n]!;
  const top = p.following ? Math.max(0, total - view.height) : scrollY.current;
  const start = Math.max(0, upper(offsets, n, top - (p.following ? FOLLOW_OVERSCAN : OVERSCAN)) - 1);
  const end = Math.min(n, upper(offsets, n, top + view.height + OVERSCAN));

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Measure what was rendered; a changed height moves the rows below it.
    // Only a height other than the one this render assumed moves anything.
    let changed = false;
    for (const child of Array.from(el.querySelectorAll<HTMLElement>("[data-row]"))) {
      const k = child.dataset["row"]!;
      const h = child.offsetHeight;
      const known = heights.current.get(k);
      if (h > 0 && known !== h) {
        if (known !== undefined) tally.current.set(known, (tally.current.get(known) ?? 1) - 1);
        tally.current.set(h, (tally.current.get(h) ?? 0) + 1);
        heights.current.set(k, h);
        if ((known ?? est) !== h) changed = true;
      }
    }
    // Rows that left the window (paged out at either end) are forgotten, so that scrolling
    // through a long chat keeps this map as bounded as the window itself.
    if (heights.current.size > 2 * n + 1000) {
      const live = new Set(keys);
      for (const [k, h] of heights.current) {
        if (live.has(k)) continue;
        heights.current.delete(k);
        tally.current.set(h, (tally.current.get(h) ?? 1) - 1);
      }
    }
    let common = estimate.current;
    let most = 0;
    for (const [h, c] of tally.current) if (c > most) [common, most] = [h, c];
    if (common !== estimate.current) {
      estimate.current = common;
      if (keys.some((k) => !heights.current.has(k))) changed = true;
    }
    const at = (key: string) => {
      let y = 0;
      for (let i = 0; i < n; i++) {
        if (keys[i] === key) return y;
        y += heights.current.get(keys[i]!) ?? estimate.current;
      }
      return null;
    };
    if (p.reveal && revealed.current !== p.reveal) {
      const y = at(p.reveal);
      if (y !== null) {
        revealed.current = p.reveal;
        el.scrollTop = Math.max(0, y - el.clientHeight / 3);
      }
    } else if (p.following) {
      el.scrollTop = el.scrollHeight;
      // A row came while following: the rows move under a pointer that rests on the list, and
      // its :hover would pass to another row on every new message (a restyle, that row's
      // actions laid out, two rows repainted). Hover styles stay off (app.css, .still) until
      // the pointer really moves.
      if (keys[n - 1] !== newest.current) el.classList.add("still");
    }
    else if (anchor.current) {
      const y = at(anchor.current.key);
      if (y !== null && Math.abs(el.scrollTop - (y - anchor.current.delta)) >= 1) el.scrollTop = y - anchor.current.delta;
    }
    if (changed) remeasured((x) => x + 1);
    // A page arrived while the view was already at the top (a scroll there while the previous
    // page was loading is not seen again: scrollTop 0 fires no more scroll events). Ask for the
    // next one; only when rows were added, so a failed fetch is not retried in a loop.
    newest.current = keys[n - 1];
    if (n !== count.current) {
      const grew = n > count.current;
      count.current = n;
      if (grew && !p.following && el.scrollTop < OVERSCAN) queueMicrotask(() => p.onNearTop());
    }
  });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      // Another width wraps text differently: every height is measured again.
      if (el.clientWidth !== width.current) {
        width.current = el.clientWidth;
        heights.current.clear();
        tally.current.clear();
      }
      scrollY.current = el.scrollTop;
      setView({ top: el.scrollTop, height: el.clientHeight });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const y = el.scrollTop;
    // The first row at the top of the view that may be kept in place (or the next one that may).
    let i = Math.max(0, upper(offsets, n, y) - 1);
    if (p.anchorable) while (i < n && !p.anchorable(p.items[i]!)) i++;
    anchor.current = keys[i] !== undefined ? { key: keys[i]!, delta: offsets[i]! - y } : null;
    scrollY.current = y;
    const atEnd = el.scrollHeight - y - el.clientHeight <= END_SLACK;
    // While following, what is rendered depends on the view's height only: the scroll the list
    // makes itself to stay at the bottom (one per new message) renders nothing again.
    if (!(atEnd && p.following && el.clientHeight === view.height)) setView({ top: y, height: el.clientHeight });
    if (atEnd !== p.following) p.onFollowing(atEnd);
    if (atEnd) p.onBottom();
    if (y < OVERSCAN) p.onNearTop();
  }

  // At scrollTop 0 the browser fires no scroll event, so a wheel or key that asks to go further
  // up (after a page failed to load, say) asks for older rows itself.
  function onWheel(e: WheelEvent) {
    const el = scroller.current;
    if (el && e.deltaY < 0 && el.scrollTop < OVERSCAN) p.onNearTop();
  }
  function onKeyDown(e: KeyboardEvent) {
    const el = scroller.current;
    if (el && (e.key === "PageUp" || e.key === "Home" || e.key === "ArrowUp") && el.scrollTop < OVERSCAN) p.onNearTop();
  }

  // A pointer that moves or presses (a tap) over the list brings its hover styles back.
  function onPointer() {
    scroller.current?.classList.remove("still");
  }

  const rows: VNode[] = [];
  for (let i = start; i < end; i++) rows.push(p.row(p.items[i]!, keys[i]!));
  // Few rows sit at the bottom, next to the input, as in every chat: the top spacer takes up the
  // rest. (A block layout: a flex column lays out every row again when one is added.)
  const pad = Math.max(0, view.height - total);
  return (
    <div ref={scroller} class="history" role="log" aria-label={p.label} aria-live="polite" tabIndex={0} onScroll={onScroll} onWheel={onWheel} onKeyDown={onKeyDown} onPointerMove={onPointer} onPointerDown={onPointer}>
      <div style={{ height: `${offsets[start]! + pad}px` }} aria-hidden="true" />
      {rows}
      <div style={{ height: `${total - offsets[end]!}px` }} aria-hidden="true" />
    </div>
  );
}
