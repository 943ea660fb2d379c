/**
 * Locale-aware text for amounts, quantities, rates and dates. Intl.NumberFormat formats a decimal
 * string exactly (ECMA-402 "string numeric literal": no float on the way), so 12345678901234567.89
 * prints as such; only rounding to the currency's digits happens, half away from zero.
 */
export interface InvoiceFormatters {
  /** An amount in the invoice currency with the currency's usual digits: "₦1,234.50", "1 234,50 €". */
  money(amount: string): string;
  /** A unit price: at least the currency's digits, more when the price has them (up to 6). */
  unitPrice(amount: string): string;
  quantity(quantity: string): string;
  /** A rate given in percent ("7.5") as the locale writes it: "7.5%", "7,5 %". */
  percent(rate: string): string;
  /** An ISO date (YYYY-MM-DD) as the locale writes it, in UTC so it never shifts a day. */
  date(isoDate: string): string;
}

const MAX_UNIT_PRICE_DIGITS = 6;

export function invoiceFormatters(locale: string, currency: string): InvoiceFormatters {
  const money = new Intl.NumberFormat(locale, { style: "currency", currency });
  const currencyDigits = money.resolvedOptions().maximumFractionDigits ?? 2;
  const unitPriceFormats = new Map<number, Intl.NumberFormat>();
  const quantity = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 });
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 4 });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });

  return {
    money: (amount) => money.format(numeric(amount)),
    unitPrice: (amount) => {
      const digits = Math.min(MAX_UNIT_PRICE_DIGITS, Math.max(currencyDigits, fractionDigits(amount)));
      let format = unitPriceFormats.get(digits);
      if (!format) {
        format = new Intl.NumberFormat(locale, {
          style: "currency",
          currency,
          minimumFractionDigits: currencyDigits,
          maximumFractionDigits: digits,
        });
        unitPriceFormats.set(digits, format);
      }
      return format.format(numeric(amount));
    },
    quantity: (value) => quantity.format(numeric(value)),
    percent: (rate) => percent.format(numeric(percentToFraction(rate))),
    date: (isoDate) => date.format(new Date(`${isoDate}T00:00:00Z`)),
  };
}

/** The type Intl.NumberFormat#format accepts for exact decimals. */
function numeric(value: string): Intl.StringNumericLiteral {
  return value as Intl.StringNumericLiteral;
}

function fractionDigits(decimal: string): number {
  const point = decimal.indexOf(".");
  return point === -1 ? 0 : decimal.length - point - 1;
}

/** "7.5" → "0.075" by moving the point two places: exact, where dividing by 100 in floats is not. */
export function percentToFraction(rate: string): string {
  const negative = rate.startsWith("-");
  const unsigned = negative ? rate.slice(1) : rate;
  const [whole = "0", fraction = ""] = unsigned.split(".");
  const padded = whole.padStart(3, "0");
  const digits = `${padded.slice(0, -2)}.${padded.slice(-2)}${fraction}`;
  return `${negative ? "-" : ""}${digits}`;
}
