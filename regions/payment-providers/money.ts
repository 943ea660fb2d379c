// Amounts without floats. Stripe and Paystack speak integer minor units; Flutterwave speaks
// decimal major units. One ISO 4217 exponent table converts between them exactly (BigInt).
import { currencyExponent } from "../../workers/api/finance/money";

/** The platform's one ISO 4217 exponent table (workers/api/finance/money.ts): the stand-in must agree with it. */
export function exponentOf(currency: string): number {
  return currencyExponent(currency);
}

/** A major-unit decimal as written ("100", "1999.5", 19.99) → integer minor units; undefined if not exact. */
export function majorToMinor(amount: string | number, currency: string): number | undefined {
  // String(19.99) is "19.99": the shortest text naming the double the sender wrote, so a JSON
  // number converts to the decimal its author meant without float arithmetic.
  const text = typeof amount === "number" ? numberText(amount) : amount.trim();
  if (text === undefined) return undefined;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const exponent = exponentOf(currency);
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > exponent) return undefined;
  const minor =
    BigInt(match[1] as string) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, "0") || "0");
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : undefined;
}

function numberText(value: number): string | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const text = String(value);
  return /e/i.test(text) ? undefined : text;
}

/** Integer minor units → the major-unit decimal string ("1999.50" → "1999.5"; no trailing zeros). */
export function minorToMajor(minor: number, currency: string): string {
  const exponent = exponentOf(currency);
  const digits = BigInt(minor)
    .toString()
    .padStart(exponent + 1, "0");
  if (exponent === 0) return digits;
  const whole = digits.slice(0, -exponent);
  const fraction = digits.slice(-exponent).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * The JSON number Flutterwave puts in `amount`: Number() of the exact decimal text, which
 * JSON.stringify writes back as that same text (every amount here has far fewer than 15 digits).
 */
export function majorNumber(minor: number, currency: string): number {
  return Number(minorToMajor(minor, currency));
}

/** "EUR 19.99" for the checkout page (grouping aside, what the customer is asked to pay). */
export function displayAmount(minor: number, currency: string): string {
  const exponent = exponentOf(currency);
  const digits = BigInt(minor)
    .toString()
    .padStart(exponent + 1, "0");
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${currency.toUpperCase()} ${text}`;
}

/** floor(minor × numerator / denominator) in BigInt: fee percentages without floats. */
export function fraction(minor: number, numerator: number, denominator: number): number {
  return Number((BigInt(minor) * BigInt(numerator)) / BigInt(denominator));
}
