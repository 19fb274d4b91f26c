// Serves the browser client (dist/web, built by `npm run build`) at `/`: content-hashed assets
// cached for a year, index.html revalidated, precompressed brotli/gzip, strict security headers.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** dist/web beside dist/server (this file is dist/server/transport/web.js once compiled). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

/**
 * No inline script or style anywhere: the page loads one script and one stylesheet from its own
 * origin; sockets and HTTP calls go to the same origin; nobody may frame it.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": WEB_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
};

type Asset = { type: string; etag: string; body: Buffer; br?: Buffer; gzip?: Buffer; immutable: boolean };

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      const full = path.join(dir, rel);
      if (statSync(full).isDirectory()) {
        walk(rel);
        continue;
      }
      if (name.endsWith(".br") || name.endsWith(".gz") || name.endsWith(".map") || name === "meta.json") continue;
      const body = readFileSync(full);
      const type = TYPES[path.extname(name)] ?? "application/octet-stream";
      const asset: Asset = { type, body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`, immutable: rel.startsWith("assets/") };
      if (existsSync(`${full}.br`)) asset.br = readFileSync(`${full}.br`);
      if (existsSync(`${full}.gz`)) asset.gzip = readFileSync(`${full}.gz`);
      assets.set(`/${rel}`, asset);
    }
  };
  walk("");
  return assets;
}

/** Which precompressed copy the client takes (q=0 refuses one). */
function pickEncoding(accept: string, asset: Asset): "br" | "gzip" | null {
  const offered = new Map<string, number>();
  for (const part of accept.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
    if (name) offered.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const ok = (e: string) => (offered.get(e) ?? offered.get("*") ?? 0) > 0;
  if (asset.br && ok("br")) return "br";
  if (asset.gzip && ok("gzip")) return "gzip";
  return null;
}

export type WebHandler = {
  /** Answers GET/HEAD for the client's files; false when the request is not for one. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  readonly files: number;
};

/** Loads the built client into memory (a few files, tens of KB); null when none was built. */
export function createWebHandler(dir: string = DEFAULT_WEB_DIR): WebHandler | null {
  if (!existsSync(path.join(dir, "index.html"))) return null;
  const assets = loadAssets(dir);
  return {
    files: assets.size,
    handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      let p = (req.url ?? "/").split("?")[0] ?? "/";
      if (p === "/") p = "/index.html";
      const asset = assets.get(p);
      if (!asset) return false;
      const encoding = pickEncoding(String(req.headers["accept-encoding"] ?? ""), asset);
      const body = encoding === "br" ? asset.br! : encoding === "gzip" ? asset.gzip! : asset.body;
      const headers: Record<string, string | number> = {
        ...SECURITY_HEADERS,
        "content-type": asset.type,
        // Hashed names never change content; index.html is checked each time (cheap: 304).
        "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        etag: asset.etag,
        vary: "Accept-Encoding",
      };
      if (encoding) headers["content-encoding"] = encoding;
      if (req.headers["if-none-match"] === asset.etag) {
        res.writeHead(304, headers).end();
        return true;
      }
      headers["content-length"] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : body);
      return true;
    },
  };
}
