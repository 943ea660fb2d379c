import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

/**
 * zxcvbn's score (0–4) a new password must reach. 3: more than 10^8 guesses by zxcvbn's
 * estimate, which counts the common and breached passwords of @zxcvbn-ts/language-common (a list
 * shipped in the bundle: no request leaves the Worker), keyboard walks, repeats, sequences, dates
 * and l33t substitutions of them. `password1234`, `qwertyuiop12` and `iloveyou2024` score 1.
 */
export const MIN_GUESSABILITY_SCORE = 3;

/**
 * Only the first characters are scored: zxcvbn's cost grows with the length, and a password
 * whose first 100 characters are guessable is not saved by what follows.
 */
const SCORED_CHARS = 100;

let factory: ZxcvbnFactory | undefined;

/**
 * Built on first use, not at module load: ranking the dictionaries takes ~40 ms of CPU, which
 * only a request that sets a password should pay (once per isolate). Levenshtein matching is off:
 * it multiplies a check's cost (up to ~200 ms measured) for little gain over the exact and l33t
 * matches.
 */
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...dictionary },
    graphs: adjacencyGraphs,
    useLevenshteinDistance: false,
    maxLength: SCORED_CHARS,
  });
  return factory;
}

/** Whether zxcvbn estimates the password too easy to guess (under MIN_GUESSABILITY_SCORE). */
export function isGuessable(password: string): boolean {
  return zxcvbn().check(password).score < MIN_GUESSABILITY_SCORE;
}
