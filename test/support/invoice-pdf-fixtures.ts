import type { InvoicePdfViewInput } from "../../workers/api/finance/pdf/invoice-pdf-view";

/** Invoices the PDF tests and the bench render: a Yoruba customer in NGN, French EUR, a long one. */

export const YORUBA_CUSTOMER = "Ọ̀ṣọ́ Adébáyọ̀".normalize("NFC");

export function ngnInvoice(): InvoicePdfViewInput {
  return {
    supplier: {
      name: "Ìmọ́lẹ̀ Solar Ltd",
      addressLines: ["14 Adéọlá Odékù Street", "Victoria Island, Lagos 101241", "Nigeria"],
      taxId: "TIN 12345678-0001",
    },
    customer: {
      name: YORUBA_CUSTOMER,
      email: "osho@example.ng",
      addressLines: ["Plot 7, Ọ̀rọ̀ Close", "Ìbàdàn, Ọ̀yọ́ State"],
      taxId: "TIN 87654321-0001",
    },
    number: "INV-2026-00042",
    status: "open",
    issueDate: "2026-03-01",
    dueDate: "2026-03-31",
    currency: "NGN",
    locale: "en-NG",
    lines: [
      {
        description: "Solar inverter 5 kVA, installed and commissioned at the customer's site in Ìbàdàn",
        quantity: "1",
        unitPrice: "1250000.00",
        taxRate: "7.5",
        lineTotal: "1250000.00",
      },
      {
        description: "Lithium battery 200 Ah",
        quantity: "4",
        unitPrice: "385000.00",
        taxRate: "7.5",
        lineTotal: "1540000.00",
      },
      {
        description: "Site survey (exempt)",
        quantity: "1",
        unitPrice: "45000.00",
        taxRate: null,
        lineTotal: "45000.00",
      },
    ],
    taxBreakdown: [{ label: "VAT", rate: "7.5", taxableAmount: "2790000.00", taxAmount: "209250.00" }],
    subtotal: "2835000.00",
    discountTotal: "0.00",
    taxTotal: "209250.00",
    total: "3044250.00",
    amountPaid: "1000000.00",
    amountDue: "2044250.00",
    eInvoice: {
      irn: "INV-2026-00042-94ND90NR-20260301",
      csid: "CSID-7f3a9c2e51b84d06",
      clearanceStatus: "cleared",
      qrPayload:
        "https://einvoice.example.ng/verify?irn=INV-2026-00042-94ND90NR-20260301&csid=7f3a9c2e51b84d06",
    },
    notes: "Ẹ ṣé o! Pay by bank transfer to GTBank 0123456789 quoting INV-2026-00042.",
    revisedAt: "2026-03-01T09:30:00Z",
  };
}

export function eurInvoice(): InvoicePdfViewInput {
  return {
    supplier: {
      name: "Atelier Lumière SARL",
      addressLines: ["12 rue de l’Église", "75011 Paris", "France"],
      taxId: "FR 12 345678901",
    },
    customer: {
      name: "Bäckerei Größe GmbH",
      email: "buchhaltung@example.de",
      addressLines: ["Münchner Straße 5", "80331 München", "Deutschland"],
      taxId: "DE 123456789",
    },
    number: "F-2026-0107",
    status: "open",
    issueDate: "2026-02-15",
    dueDate: "2026-03-17",
    currency: "EUR",
    locale: "fr-FR",
    lines: [
      {
        description: "Création d’identité visuelle — logo, charte et déclinaisons",
        quantity: "1",
        unitPrice: "4800.00",
        taxRate: "20",
        lineTotal: "4800.00",
      },
      {
        description: "Impression de 2 500 cartes de visite",
        quantity: "2500",
        unitPrice: "0.125",
        taxRate: "20",
        lineTotal: "312.50",
      },
    ],
    taxBreakdown: [{ label: "TVA", rate: "20", taxableAmount: "5112.50", taxAmount: "1022.50" }],
    subtotal: "5112.50",
    discountTotal: "112.50",
    taxTotal: "1022.50",
    total: "6022.50",
    amountPaid: "0.00",
    amountDue: "6022.50",
    notes: "Autoliquidation : non. Pénalités de retard : trois fois le taux d’intérêt légal.",
    revisedAt: "2026-02-15T10:00:00+01:00",
  };
}

const WORDS = [
  "installation",
  "maintenance",
  "of",
  "the",
  "rooftop",
  "array",
  "with",
  "cabling,",
  "mounting",
  "rails",
  "and",
  "Ẹ̀ṣọ́",
  "inspection",
  "per",
  "schedule",
];

/** 120 lines with descriptions of one to four wrapped lines: five pages or so. */
export function longInvoice(lineCount = 120): InvoicePdfViewInput {
  const base = ngnInvoice();
  const lines = Array.from({ length: lineCount }, (_, i) => {
    const words = 3 + ((i * 7) % 10);
    const description = `Item ${i + 1}: ${Array.from({ length: words }, (_, w) => WORDS[(i + w) % WORDS.length]).join(" ")}`;
    return {
      description,
      quantity: String((i % 5) + 1),
      unitPrice: "1000.00",
      taxRate: "7.5",
      lineTotal: `${((i % 5) + 1) * 1000}.00`,
    };
  });
  const subtotal = lines.reduce((sum, line) => sum + Number.parseInt(line.lineTotal, 10), 0);
  const tax = (subtotal * 75) / 1000;
  return {
    ...base,
    number: "INV-2026-00120",
    lines,
    taxBreakdown: [{ label: "VAT", rate: "7.5", taxableAmount: `${subtotal}.00`, taxAmount: tax.toFixed(2) }],
    subtotal: `${subtotal}.00`,
    discountTotal: "0",
    taxTotal: tax.toFixed(2),
    total: (subtotal + tax).toFixed(2),
    amountPaid: "0",
    amountDue: (subtotal + tax).toFixed(2),
  };
}
