import { isGuessable } from "./password-guessability";
import { encodePassword, MAX_PASSWORD_BYTES } from "./password-input";

/**
 * What a new password must satisfy (sign-up, change, reset). Deliberately separate from hashing:
 * verification must keep accepting passwords set under an older, looser policy.
 *
 * Length and guessability are the rules (NIST SP 800-63B §5.1.1.2): no composition rules, and a
 * password found among common or breached ones (or a simple variation of one) is refused, checked
 * offline (password-guessability.ts). Characters are Unicode code points of the NFKC form, so "é"
 * counts once however it was typed.
 */
export const MIN_PASSWORD_CHARS = 12;

export type PasswordPolicyViolation = "too_short" | "too_long" | "invalid_characters" | "too_guessable";

const MESSAGES: Record<PasswordPolicyViolation, string> = {
  too_short: `Password must be at least ${MIN_PASSWORD_CHARS} characters`,
  too_long: `Password must be at most ${MAX_PASSWORD_BYTES} bytes`,
  invalid_characters: "Password contains invalid characters",
  too_guessable:
    "Password is too easy to guess: it is, or is close to, a common or breached password (or a keyboard " +
    "pattern, repeat or sequence); choose a longer phrase of unrelated words",
};

/** Thrown where a password cannot be accepted at all (hashPassword with an over-long input). */
export class PasswordPolicyError extends Error {
  readonly violation: PasswordPolicyViolation;

  constructor(violation: PasswordPolicyViolation) {
    super(MESSAGES[violation]);
    this.name = "PasswordPolicyError";
    this.violation = violation;
  }
}

// A lone UTF-16 surrogate would be encoded as U+FFFD, so two different inputs would hash alike.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** The violation, most severe first, or null when the password is acceptable. */
export function findPasswordPolicyViolation(password: string): PasswordPolicyViolation | null {
  if (encodePassword(password) === null) return "too_long";
  if (LONE_SURROGATE.test(password)) return "invalid_characters";
  const normalized = password.normalize("NFKC");
  if ([...normalized].length < MIN_PASSWORD_CHARS) return "too_short";
  if (isGuessable(normalized)) return "too_guessable";
  return null;
}

/**
 * A message suitable for a VALIDATION_ERROR on the password field, or null when acceptable.
 * Call before hashPassword when a password is being set.
 */
export function checkPasswordPolicy(password: string): string | null {
  const violation = findPasswordPolicyViolation(password);
  return violation === null ? null : MESSAGES[violation];
}
