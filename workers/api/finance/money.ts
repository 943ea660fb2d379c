/**
 * Money at the boundaries: decimal strings in the API, integers in the currency's minor unit
 * for Stripe and Paystack, major-unit decimals for Flutterwave, numeric in Postgres. Conversions
 * go through BigInt and string digits only, never floating point.
 */

/**
 * ISO 4217 minor-unit exponents that differ from 2, plus the currencies the platform bills in.
 * Stripe treats some of these as zero-decimal too (stripe.com/docs/currencies); the three- and
 * four-decimal ones are listed so an amount like "1.234" BHD is read right, not so any provider
 * takes them. The one table of the project: the provider stand-in converts with it too.
 */
const EXPONENT_OVERRIDES: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Currencies Intl knows as ISO 4217 codes; anything else is refused at the boundary. */
const KNOWN = new Set(Intl.supportedValuesOf("currency"));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN.has(code);
}

/** Digits after the decimal point in the currency's minor unit (NGN 2, EUR 2, JPY 0, BHD 3). */
export function currencyExponent(currency: string): number {
  return EXPONENT_OVERRIDES[currency.toUpperCase()] ?? 2;
}

const DECIMAL = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * "1250.00" NGN → 125000n. Refuses negative numbers, exponents, more decimals than the currency
 * has ("10.001" EUR), and anything not a plain decimal; returns null so callers name the field.
 */
export function toMinorUnits(amount: string, currency: string): bigint | null {
  const match = DECIMAL.exec(amount);
  if (!match) return null;
  const exponent = currencyExponent(currency);
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) return null;
  return BigInt(match[1] + fraction.padEnd(exponent, "0"));
}

/** 125000n NGN → "1250.00"; 5n JPY → "5". */
export function fromMinorUnits(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? "-" : ""}${whole}${exponent > 0 ? `.${fraction}` : ""}`;
}
