// Part of `npm run build`: bundles the browser client (web/) with esbuild into dist/web:
// content-hashed script and stylesheet under assets/, index.html naming them, and brotli and
// gzip copies of every file for chat-server to send as they are.
import { build, stop } from "esbuild-wasm";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, "dist", "web");
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, "assets"), { recursive: true });

/**
 * The client core imports the protocol's index, which brings its zod schemas (the server's
 * validation, 100+ KiB): the bundle takes server/protocol/browser.ts instead, the same values
 * without them. A value missing there fails this build.
 */
function protocolWithoutSchemas() {
  const browser = path.join(root, "server", "protocol", "browser.ts");
  return {
    name: "protocol-without-schemas",
    setup(b) {
      b.onResolve({ filter: /server\/protocol\/index\.js$/ }, () => ({ path: browser }));
    },
  };
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: "web/main.tsx", style: "web/app.css" },
  bundle: true,
  // WEB_MINIFY=0: a readable bundle, for a CPU profile (bench web, BENCH_WEB_PROFILE).
  minify: process.env.WEB_MINIFY !== "0",
  format: "esm",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  outdir: path.join(out, "assets"),
  entryNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
  plugins: [protocolWithoutSchemas()],
});
await stop();

const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(out, path.join(root, f)));
const js = outputs.find((f) => f.startsWith("assets/app-") && f.endsWith(".js"));
const css = outputs.find((f) => f.startsWith("assets/style-") && f.endsWith(".css"));
if (!js || !css) throw new Error(`esbuild wrote ${outputs.join(", ")}: no app script or stylesheet`);
rmSync(path.join(out, "assets", path.basename(css).replace(/\.css$/, ".js")), { force: true });

const html = readFileSync(path.join(root, "web", "index.html"), "utf8").replace("%SCRIPT%", `/${js}`).replace("%STYLE%", `/${css}`);
writeFileSync(path.join(out, "index.html"), html);
for (const f of readdirSync(path.join(root, "web", "public"))) writeFileSync(path.join(out, f), readFileSync(path.join(root, "web", "public", f)));
writeFileSync(path.join(out, "meta.json"), JSON.stringify(result.metafile));

let gz = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (!name.endsWith(".json") || name !== "meta.json") {
      const body = readFileSync(full);
      const g = gzipSync(body, { level: 9 });
      if (name.endsWith(".js")) gz += g.length;
      writeFileSync(`${full}.gz`, g);
      writeFileSync(`${full}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
    }
  }
};
walk(out);
process.stdout.write(`web client: ${js} (${(gz / 1024).toFixed(1)} KiB gzip of JavaScript), ${css}\n`);
