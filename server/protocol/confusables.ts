// Lookalike keys of names (Unicode TS #39 skeletons): the server's uniqueness rule, kept out of
// the protocol index so that clients, which never compute them, do not load the 6,000-entry table.
import unhomoglyph from "unhomoglyph";
import { foldKey } from "./names.js";

/**
 * The confusable skeleton of Unicode TS #39 (section 4): NFD, each character mapped through the
 * confusables table (confusables.txt 13.0, as shipped by the `unhomoglyph` package), NFD. Two
 * strings with one skeleton look alike ("раypal" and "paypal", "rn" and "m", "0" and "O").
 */
export function skeleton(s: string): string {
  return unhomoglyph(s.normalize("NFD")).normalize("NFD");
}

/**
 * The key under which no second name may exist because it would look the same: the skeleton of
 * the case-folded skeleton. The inner skeleton runs first so that "I" (capital i) still meets
 * "l" before folding turns it into "i"; the outer one catches what folding makes confusable.
 */
export function confusableKey(name: string): string {
  return skeleton(foldKey(skeleton(name)));
}

