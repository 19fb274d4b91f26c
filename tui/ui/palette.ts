// Semantic colours: widgets write roles ({@timestamp}…{/@timestamp}); the palette turns them
// into colours the terminal has, so nothing is drawn in the background's colour.
import type { ColourDepth } from "./terminal-caps.js";

export const ROLES = ["timestamp", "separator", "offline", "system", "hint", "muted", "mention", "own", "error", "info", "warn", "ok", "accent", "file", "code", "match"] as const;
export type Role = (typeof ROLES)[number];

/** A role as tags around text (the palette translates them). */
export const paint = (role: Role, text: string): string => `{@${role}}${text}{/@${role}}`;
export const open = (role: Role): string => `{@${role}}`;
export const close = (role: Role): string => `{/@${role}}`;

/** Colours and attributes of one role, as blessed tag names ("bold", "cyan-fg", "#8a8a8a-fg"). */
type Look = string[];

// The roles blessed would draw as "grey" (colour 8). On 8-colour terminals colour 8 is
// reduced to 0, black: invisible on a dark background. There they use the default colour.
const MUTED: Role[] = ["timestamp", "separator", "offline", "system", "hint", "muted"];

function looks(depth: ColourDepth): Record<Role, Look> {
  // 245 is #8a8a8a, readable on dark and light backgrounds (blessed's own "#rrggbb" matching is
  // unreliable, so the number is given).
  const grey: Look = depth >= 256 ? ["245-fg"] : depth === 16 ? ["gray-fg"] : [];
  const base: Record<Role, Look> = {
    timestamp: grey,
    separator: grey,
    offline: grey,
    system: grey,
    hint: grey,
    muted: grey,
    mention: ["red-fg", "bold"],
    own: ["bold"],
    error: ["red-fg"],
    info: ["cyan-fg"],
    warn: ["yellow-fg"],
    ok: ["green-fg"],
    accent: ["cyan-fg"],
    file: ["magenta-fg"],
    // Code blocks: a colour of their own; search matches: marked by attributes, readable anywhere.
    code: ["green-fg"],
    match: ["bold", "underline"],
  };
  if (depth === 0) {
    // No colours at all (vt100): attributes only.
    for (const r of MUTED) base[r] = [];
    Object.assign(base, { mention: ["bold", "underline"], error: ["bold"], warn: ["bold"], info: [], ok: [], accent: ["underline"], file: ["underline"], code: [] });
  }
  return base;
}

const NAMED = /\{(\/?)(black|red|green|yellow|blue|magenta|cyan|white|gray|grey|light[a-z]+|bright[a-z]+|#[0-9a-fA-F]{3,6})-(fg|bg)\}/g;
const ROLE_TAG = /\{(\/?)@([a-z]+)\}/g;

export interface Palette {
  readonly depth: ColourDepth;
  /** Replaces role tags (and, without colours, colour tags) with what this terminal shows. */
  translate(content: string): string;
  /** blessed widget styles for the chrome (tab bar, status bar, separator, borders). */
  readonly styles: {
    tabBar: { fg?: string; bg?: string; inverse?: boolean };
    status: { fg?: string; bg?: string; inverse?: boolean };
    separator: { fg?: string | number };
    border: { fg?: string };
  };
}

export function createPalette(depth: ColourDepth): Palette {
  const table = looks(depth);
  const openTags = (r: Role) => table[r].map((t) => `{${t}}`).join("");
  const closeTags = (r: Role) => table[r].slice().reverse().map((t) => `{/${t}}`).join("");
  const known = new Set<string>(ROLES);
  const mono = depth === 0;
  // Colour tags still written directly (nick colours, status labels): on a terminal without
  // colours red/yellow become bold (they mean "attention"), the rest plain.
  const monoTag = (closing: string, name: string, where: string) => {
    if (where === "bg") return "";
    if (name === "red" || name === "yellow") return `{${closing}bold}`;
    return "";
  };
  // 8 colours: "grey" written directly is black there; use the default colour.
  const lowTag = (closing: string, name: string, where: string, whole: string) => (/^gr[ae]y$/.test(name) && where === "fg" ? "" : whole);
  return {
    depth,
    translate(content) {
      let out = content.replace(ROLE_TAG, (whole, closing: string, role: string) => {
        if (!known.has(role)) return whole;
        return closing ? closeTags(role as Role) : openTags(role as Role);
      });
      if (mono) out = out.replace(NAMED, (_w, closing: string, name: string, where: string) => monoTag(closing, name, where));
      else if (depth === 8) out = out.replace(NAMED, (w, closing: string, name: string, where: string) => lowTag(closing, name, where, w));
      return out;
    },
    styles: mono
      ? { tabBar: { inverse: true }, status: { inverse: true }, separator: {}, border: {} }
      : {
          tabBar: { bg: "blue", fg: "white" },
          status: { bg: "black", fg: "white" },
          separator: depth >= 256 ? { fg: 245 } : depth === 16 ? { fg: "gray" } : {},
          border: { fg: "cyan" },
        },
  };
}
