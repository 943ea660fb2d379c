import { currencyExponent, isCurrency, toMinorUnits } from "./money";

/**
 * What an invoice's amounts may be, checked before Postgres computes anything. Amounts are
 * numeric(12,2): at most 9,999,999,999.99 and two decimals, so an invoice is in a currency of
 * exponent 0 or 2 (JPY, NGN, EUR) and never one of three (KWD, BHD). All checks are on decimal
 * digits and BigInt, never floating point.
 */

/** Ten integer digits: numeric(12,2). */
const MAX_INTEGER_DIGITS = 10;
const QUANTITY = /^(0|[1-9]\d{0,9})(\.\d{1,4})?$/;
const QUANTITY_SCALE = 10_000n;

/** Why an invoice cannot be in `currency`, or undefined when it can. */
export function invoiceCurrencyProblem(currency: string): string | undefined {
  if (!isCurrency(currency)) return `${currency} is not an ISO 4217 currency code (e.g. NGN, EUR)`;
  const exponent = currencyExponent(currency);
  if (exponent > 2) {
    return `Invoices are kept to 2 decimals: ${currency} has ${exponent}, so it cannot be invoiced (use a currency of 0 or 2 decimals)`;
  }
  return undefined;
}

/** A JS number as the decimal it is written as (`0.1` → "0.1"), or null if it has no such form. */
export function quantityDigits(quantity: number): string | null {
  const text = String(quantity);
  return QUANTITY.test(text) ? text : null;
}

/** `quantity` exactly, scaled by 10⁴ (4 decimals at most, checked by the schema). */
function scaledQuantity(digits: string): bigint {
  const [whole = "0", fraction = ""] = digits.split(".");
  return BigInt(whole) * QUANTITY_SCALE + BigInt(fraction.padEnd(4, "0"));
}

export interface LineAmounts {
  quantity: number;
  unit_price: string;
  discount?: string | undefined;
}

export interface AmountIssue {
  field: string;
  message: string;
}

const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/**
 * An amount of `currency` within numeric(12,2), as minor units; or why not; null for what is not a
 * plain decimal at all, which the schema's own check reports.
 */
function amountOf(value: string, currency: string, name: string): bigint | string | null {
  if (!DECIMAL.test(value)) return null;
  const minor = toMinorUnits(value, currency);
  const exponent = currencyExponent(currency);
  if (minor === null) {
    return exponent === 0
      ? `${name} must be a whole number of ${currency} (no decimals), as a string`
      : `${name} must be a decimal string with at most ${exponent} decimals (e.g. "1250.00")`;
  }
  if ((value.split(".")[0] ?? "").length > MAX_INTEGER_DIGITS) return `${name} must be at most 9999999999.99`;
  return minor;
}

/**
 * Field errors of lines in `currency` (paths `{prefix}.{i}.unit_price`, …): amounts with more
 * decimals than the currency has, and a discount larger than the line (quantity × unit price,
 * compared exactly). Totals that would pass numeric(12,2) are Postgres's to refuse.
 */
export function lineAmountIssues(
  lines: readonly LineAmounts[],
  currency: string,
  prefix = "lines",
): AmountIssue[] {
  const issues: AmountIssue[] = [];
  lines.forEach((line, i) => {
    const price = amountOf(line.unit_price, currency, "unit_price");
    if (typeof price === "string") issues.push({ field: `${prefix}.${i}.unit_price`, message: price });
    const discount = amountOf(line.discount ?? "0", currency, "discount");
    if (typeof discount === "string") issues.push({ field: `${prefix}.${i}.discount`, message: discount });
    const digits = quantityDigits(line.quantity);
    if (typeof price !== "bigint" || typeof discount !== "bigint" || digits === null) return;
    if (discount * QUANTITY_SCALE > scaledQuantity(digits) * price) {
      issues.push({
        field: `${prefix}.${i}.discount`,
        message: "discount must not exceed quantity × unit_price",
      });
    }
  });
  return issues;
}
