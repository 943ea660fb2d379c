import { describe, expect, it } from "vitest";
import { invoiceFormatters, percentToFraction } from "../../../workers/api/finance/pdf/invoice-formatters";
import { invoiceLabels } from "../../../workers/api/finance/pdf/invoice-labels";
import { invoicePdfViewSchema } from "../../../workers/api/finance/pdf/invoice-pdf-view";
import { ngnInvoice } from "../../support/invoice-pdf-fixtures";

describe("invoice formatters", () => {
  it("format amounts from the decimal string exactly, past what a double holds", () => {
    const ngn = invoiceFormatters("en-NG", "NGN");
    // 12345678901234567.89 as a double is 12345678901234568: the string keeps every digit.
    expect(ngn.money("12345678901234567.89")).toBe("₦12,345,678,901,234,567.89");
    expect(ngn.money("0.1")).toBe("₦0.10");
    expect(ngn.money("-20")).toBe("-₦20.00");
    // Through a number the same amount loses its cents.
    expect(
      new Intl.NumberFormat("en-NG", { style: "currency", currency: "NGN" }).format(
        Number("12345678901234567.89"),
      ),
    ).toBe("₦12,345,678,901,234,568.00");
    expect(ngn.money("2.675")).toBe("₦2.68"); // half away from zero, from the digits as written
  });

  it("give unit prices the digits they have, at least the currency's", () => {
    const eur = invoiceFormatters("fr-FR", "EUR");
    expect(eur.unitPrice("0.125")).toBe("0,125\u00a0€");
    expect(eur.unitPrice("4800")).toBe("4\u202f800,00\u00a0€");
    expect(eur.unitPrice("0.1234567")).toBe("0,123457\u00a0€");
    expect(invoiceFormatters("ja-JP", "JPY").unitPrice("1500")).toBe("￥1,500");
  });

  it("write rates, quantities and dates as the locale does", () => {
    expect(invoiceFormatters("en-NG", "NGN").percent("7.5")).toBe("7.5%");
    expect(invoiceFormatters("de-DE", "EUR").percent("19")).toBe("19\u00a0%");
    expect(invoiceFormatters("de-DE", "EUR").quantity("1234.5")).toBe("1.234,5");
    expect(invoiceFormatters("fr-FR", "EUR").date("2026-03-01")).toBe("1 mars 2026");
    expect(invoiceFormatters("en-NG", "NGN").date("2026-12-31")).toBe("31 Dec 2026");
  });

  it("move a rate's decimal point without arithmetic", () => {
    expect(percentToFraction("7.5")).toBe("0.075");
    expect(percentToFraction("20")).toBe("0.20");
    expect(percentToFraction("0")).toBe("0.00");
    expect(percentToFraction("100")).toBe("1.00");
    expect(percentToFraction("0.001")).toBe("0.00001");
    expect(percentToFraction("-5")).toBe("-0.05");
  });
});

describe("invoice labels and view", () => {
  it("pick the invoice's language, English otherwise", () => {
    expect(invoiceLabels("fr-FR").invoice).toBe("Facture");
    expect(invoiceLabels("de-AT").invoice).toBe("Rechnung");
    expect(invoiceLabels("yo-NG").invoice).toBe("Invoice");
    expect(invoiceLabels("de-DE").page(2, 5)).toBe("Seite 2 von 5");
  });

  it("rejects floats' notations, grouping and unknown locales at the boundary", () => {
    const view = ngnInvoice();
    expect(invoicePdfViewSchema.safeParse(view).success).toBe(true);
    for (const total of ["1e6", "1,000.00", "1000.", ".5", "NaN"]) {
      expect(invoicePdfViewSchema.safeParse({ ...view, total }).success, total).toBe(false);
    }
    expect(invoicePdfViewSchema.safeParse({ ...view, locale: "not a locale" }).success).toBe(false);
    expect(invoicePdfViewSchema.safeParse({ ...view, currency: "naira" }).success).toBe(false);
  });
});
