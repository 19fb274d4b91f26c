import test from "ava";
import { createPalette, paint } from "./palette.js";

const line = `${paint("timestamp", "12:00")} ${paint("mention", "@me")} {cyan-fg}bob{/cyan-fg} {gray-fg}x{/gray-fg}`;

test("grey roles: colour 245 with 256 colours, bright black with 16, the default colour with 8", (t) => {
  t.is(createPalette(256).translate(line), "{245-fg}12:00{/245-fg} {red-fg}{bold}@me{/bold}{/red-fg} {cyan-fg}bob{/cyan-fg} {gray-fg}x{/gray-fg}");
  t.is(createPalette(16).translate(paint("offline", "x")), "{gray-fg}x{/gray-fg}");
  // On 8 colours blessed reduces grey to black: it is never written there, even directly.
  t.is(createPalette(8).translate(line), "12:00 {red-fg}{bold}@me{/bold}{/red-fg} {cyan-fg}bob{/cyan-fg} x");
});

test("a terminal without colours gets attributes only", (t) => {
  const mono = createPalette(0);
  t.is(mono.translate(line), "12:00 {bold}{underline}@me{/underline}{/bold} bob x");
  t.is(mono.translate("{red-fg}err{/red-fg} {green-bg}x{/green-bg}"), "{bold}err{/bold} x");
  t.deepEqual(mono.styles.status, { inverse: true });
});
