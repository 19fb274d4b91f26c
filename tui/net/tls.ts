// TLS trust for the client: a private CA (--ca) or no verification (--insecure), and messages
// that say what to do when a certificate is refused.
import { readFileSync } from "node:fs";

export type TlsOptions = { ca?: string; rejectUnauthorized: boolean };

export function tlsOptions(opts: { ca?: string | undefined; insecure?: boolean | undefined }): TlsOptions {
  return { ...(opts.ca ? { ca: readFileSync(opts.ca, "utf8") } : {}), rejectUnauthorized: !opts.insecure };
}

const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/;

/** A sentence for a refused certificate, or null when the error is something else. */
export function certificateProblem(error: unknown): string | null {
  const e = error as { code?: string; cause?: { code?: string }; description?: { code?: string; error?: { code?: string } } };
  const code = e?.code ?? e?.cause?.code ?? e?.description?.error?.code ?? e?.description?.code ?? "";
  if (!CERT_CODES.test(code)) return null;
  return `The server's TLS certificate is not trusted (${code}). If it is signed by a private CA, pass --ca <file>; to connect anyway (unsafe), pass --insecure.`;
}
