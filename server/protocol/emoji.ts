// Reaction emoji: one emoji grapheme, or a :shortname: from a small table (shared with clients).

/** Short names a client may send instead of the emoji itself; the server stores the emoji. */
export const EMOJI_SHORTNAMES: Readonly<Record<string, string>> = {
  "+1": "👍", thumbsup: "👍", "-1": "👎", thumbsdown: "👎", heart: "❤️", tada: "🎉", smile: "😄",
  laughing: "😆", joy: "😂", wink: "😉", thinking: "🤔", eyes: "👀", fire: "🔥", rocket: "🚀",
  ok_hand: "👌", pray: "🙏", clap: "👏", "100": "💯", check: "✅", white_check_mark: "✅", x: "❌",
  wave: "👋", sob: "😭", cry: "😢", star: "⭐", warning: "⚠️", question: "❓",
};

const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const FLAG = /^\p{Regional_Indicator}{2}$/u;
const KEYCAP = /^[#*0-9]\uFE0F?\u20E3$/u;
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The emoji a reaction stands for, or null when `input` is neither a :shortname: of the table
 * nor exactly one emoji grapheme cluster (a flag, a keycap, or one with a pictograph in it).
 */
export function normalizeEmoji(input: string): string | null {
  const short = /^:([a-z0-9_+-]{1,30}):$/.exec(input);
  if (short) return EMOJI_SHORTNAMES[short[1]!] ?? null;
  if (input.length === 0 || input.length > 32) return null;
  const graphemes = [...segmenter.segment(input)];
  if (graphemes.length !== 1) return null;
  return PICTOGRAPHIC.test(input) || FLAG.test(input) || KEYCAP.test(input) ? input : null;
}
