/** The words printed around the data, in the invoice's language (English when it has none here). */
export interface InvoiceLabels {
  invoice: string;
  draft: string;
  number: string;
  status: string;
  issueDate: string;
  dueDate: string;
  billTo: string;
  taxId: string;
  description: string;
  quantity: string;
  unitPrice: string;
  tax: string;
  amount: string;
  taxBreakdown: string;
  taxableAmount: string;
  subtotal: string;
  discount: string;
  taxTotal: string;
  total: string;
  amountPaid: string;
  amountDue: string;
  eInvoice: string;
  irn: string;
  csid: string;
  clearanceStatus: string;
  notes: string;
  exempt: string;
  page: (page: number, pages: number) => string;
  statuses: Record<string, string>;
}

const en: InvoiceLabels = {
  invoice: "Invoice",
  draft: "Draft",
  number: "Invoice number",
  status: "Status",
  issueDate: "Issue date",
  dueDate: "Due date",
  billTo: "Bill to",
  taxId: "Tax ID",
  description: "Description",
  quantity: "Qty",
  unitPrice: "Unit price",
  tax: "Tax",
  amount: "Amount",
  taxBreakdown: "Tax breakdown",
  taxableAmount: "taxable",
  subtotal: "Subtotal",
  discount: "Discount",
  taxTotal: "Total tax",
  total: "Total",
  amountPaid: "Amount paid",
  amountDue: "Amount due",
  eInvoice: "E-invoice",
  irn: "IRN",
  csid: "CSID",
  clearanceStatus: "Clearance",
  notes: "Notes",
  exempt: "—",
  page: (page, pages) => `Page ${page} of ${pages}`,
  statuses: {
    draft: "Draft",
    open: "Open",
    paid: "Paid",
    partially_paid: "Partially paid",
    overdue: "Overdue",
    void: "Void",
    uncollectible: "Uncollectible",
  },
};

const fr: InvoiceLabels = {
  ...en,
  invoice: "Facture",
  draft: "Brouillon",
  number: "Numéro de facture",
  status: "Statut",
  issueDate: "Date d’émission",
  dueDate: "Date d’échéance",
  billTo: "Facturé à",
  taxId: "N° TVA",
  description: "Désignation",
  quantity: "Qté",
  unitPrice: "Prix unitaire HT",
  tax: "TVA",
  amount: "Montant HT",
  taxBreakdown: "Détail de la TVA",
  taxableAmount: "base",
  subtotal: "Total HT",
  discount: "Remise",
  taxTotal: "TVA",
  total: "Total TTC",
  amountPaid: "Déjà payé",
  amountDue: "Reste à payer",
  eInvoice: "Facture électronique",
  clearanceStatus: "Validation",
  notes: "Remarques",
  page: (page, pages) => `Page ${page} sur ${pages}`,
  statuses: {
    draft: "Brouillon",
    open: "À payer",
    paid: "Payée",
    partially_paid: "Partiellement payée",
    overdue: "En retard",
    void: "Annulée",
    uncollectible: "Irrécouvrable",
  },
};

const de: InvoiceLabels = {
  ...en,
  invoice: "Rechnung",
  draft: "Entwurf",
  number: "Rechnungsnummer",
  status: "Status",
  issueDate: "Rechnungsdatum",
  dueDate: "Fällig am",
  billTo: "Rechnungsempfänger",
  taxId: "USt-IdNr.",
  description: "Beschreibung",
  quantity: "Menge",
  unitPrice: "Einzelpreis",
  tax: "USt.",
  amount: "Betrag",
  taxBreakdown: "Umsatzsteuer",
  taxableAmount: "Bemessungsgrundlage",
  subtotal: "Zwischensumme",
  discount: "Rabatt",
  taxTotal: "Umsatzsteuer",
  total: "Gesamtbetrag",
  amountPaid: "Bezahlt",
  amountDue: "Offener Betrag",
  eInvoice: "E-Rechnung",
  clearanceStatus: "Freigabe",
  notes: "Hinweise",
  page: (page, pages) => `Seite ${page} von ${pages}`,
  statuses: {
    draft: "Entwurf",
    open: "Offen",
    paid: "Bezahlt",
    partially_paid: "Teilweise bezahlt",
    overdue: "Überfällig",
    void: "Storniert",
    uncollectible: "Uneinbringlich",
  },
};

const byLanguage: Record<string, InvoiceLabels> = { en, fr, de };

export function invoiceLabels(locale: string): InvoiceLabels {
  return byLanguage[new Intl.Locale(locale).language] ?? en;
}

/** A status the labels know, in the invoice's language; any other as given. */
export function statusLabel(labels: InvoiceLabels, status: string): string {
  return labels.statuses[status] ?? status;
}
