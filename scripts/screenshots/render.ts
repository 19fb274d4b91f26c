// Renders captured terminal screens (and browser pages) to PNG in Debian's headless Chromium,
// driven by playwright-core: the screens become HTML drawn with a real monospace font. The
// browser is started the way the browser tests start it (test/helpers/browser.ts: one launcher).
import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../../test/helpers/browser.js";
import { DARK, screenToHtml, terminalCss, type Screen } from "./ansi.js";

export { CHROMIUM } from "../../test/helpers/browser.js";
/** DejaVu Sans Mono draws the cells; emoji and CJK come from Debian's Noto Color Emoji and Droid Sans Fallback. */
export const FONT = `"DejaVu Sans Mono", "Noto Color Emoji", "Droid Sans Fallback", monospace`;
const FONT_SIZE = 15;
const LINE_HEIGHT = 1.2;

export type Window = { title: string; screen: Screen };

function pageHtml(windows: Window[], note: string | undefined): string {
  const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const frames = windows
    .map(
      (w) => `<figure class="win"><div class="bar"><i></i><i></i><i></i><span>${esc(w.title)}</span></div>
<div class="term">${screenToHtml(w.screen)}</div></figure>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: #ffffff; }
#shot { display: inline-flex; gap: 18px; padding: 14px; align-items: flex-start; background: #eef0f3; }
.win { margin: 0; border-radius: 8px; overflow: hidden; box-shadow: 0 2px 8px rgba(0,0,0,.25); background: ${DARK.bg}; }
.bar { height: 26px; background: #3a3d41; display: flex; align-items: center; gap: 6px; padding: 0 10px;
       font: 13px "DejaVu Sans", sans-serif; color: #e8e8e8; }
.bar i { width: 11px; height: 11px; border-radius: 50%; background: #6b6f75; display: inline-block; }
.bar span { margin-left: 8px; white-space: pre; }
.term { padding: 6px 8px; }
.note { font: 13px "DejaVu Sans", sans-serif; color: #333; max-width: 100%; }
${terminalCss({ font: FONT, fontSize: FONT_SIZE, lineHeight: LINE_HEIGHT })}
</style></head><body><div id="shot">${frames}</div>${note ? `<div class="note">${esc(note)}</div>` : ""}</body></html>`;
}

export type Renderer = {
  /** One PNG of the given terminal windows side by side. */
  terminals(file: string, windows: Window[]): Promise<void>;
  /**
   * A page in a fresh context (its own cookies and storage), as a browser of that size shows
   * it; `mobile`: a phone (touch, 2 device pixels per CSS pixel).
   */
  page(size: { width: number; height: number; mobile?: boolean }): Promise<Page>;
  close(): Promise<void>;
};

export async function startRenderer(opts: { scale?: number } = {}): Promise<Renderer> {
  // A fresh temporary profile for every run (removed on close), so nothing from an earlier run
  // (cache, cookies, storage) shows in a picture.
  const running = await launchBrowser();
  const { browser } = running;
  const contexts: BrowserContext[] = [];
  const terminalContext = await browser.newContext({ viewport: { width: 1800, height: 1000 }, deviceScaleFactor: opts.scale ?? 1 });
  contexts.push(terminalContext);
  const page = await terminalContext.newPage();
  return {
    async terminals(file, windows) {
      await page.setContent(pageHtml(windows, undefined), { waitUntil: "load" });
      // Fallback fonts (emoji, CJK) load lazily: wait until every face the page uses is ready.
      // (The function runs in the page; this project compiles without DOM types.)
      await page.evaluate("document.fonts.ready.then(() => true)");
      await page.locator("#shot").screenshot({ path: file, animations: "disabled" });
    },
    async page(size) {
      const context = await browser.newContext({
        viewport: { width: size.width, height: size.height },
        deviceScaleFactor: size.mobile ? 2 : 1,
        isMobile: size.mobile ?? false,
        hasTouch: size.mobile ?? false,
      });
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await running.close();
    },
  };
}
