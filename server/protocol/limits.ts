// Sizes of the protocol that clients need at run time, apart from the zod schemas that enforce
// them (so a browser bundle can have them without zod).

/** The longest message text, in UTF-16 code units. */
export const MAX_TEXT = 4000;
/** Bytes per file:chunk and file:read. */
export const FILE_CHUNK_BYTES = 64 * 1024;
