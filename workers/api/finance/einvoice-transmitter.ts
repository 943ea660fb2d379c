import type { InvoiceView } from "../schemas/invoice";

/**
 * The port to a tax authority's e-invoicing clearance, called while an invoice is finalized.
 * Nigeria's NRS (ex-FIRS) MBS clears B2B/B2G invoices through a licensed Access Point Provider:
 * the invoice goes out with its number, and comes back with an IRN (invoice reference number), a
 * CSID stamp and a QR payload, which the invoice stores and its PDF prints. An APP adapter
 * implements this interface; until a deployment names one, `none` answers `not_required`.
 *
 * Contract:
 * - `transmit` runs inside the finalizing transaction, after the number is taken and before the
 *   commit, while the tenant's series is locked: finalizes of one tenant wait for it, so it should
 *   answer within seconds (finalize gives it `TRANSMIT_TIMEOUT_MS`).
 * - Answer `cleared` (with irn/csid/qr), `pending` (accepted, cleared later), or `not_required`.
 * - Throw `EInvoiceRejected` when the authority refuses the invoice: finalize answers 409 with its
 *   message and the invoice stays a draft. Any other throw (or the timeout) answers 503. Either
 *   way the transaction rolls back and the number is not used: the series stays gapless.
 */
export interface EInvoiceTransmitter {
  readonly name: string;
  transmit(invoice: InvoiceView): Promise<EInvoiceClearance>;
}

export interface EInvoiceClearance {
  clearance_status: "not_required" | "pending" | "cleared";
  irn?: string | undefined;
  csid?: string | undefined;
  /** What the invoice's QR code encodes (the authority's verification payload). */
  qr?: string | undefined;
}

/** The authority refused the invoice; `message` says why, for the client. */
export class EInvoiceRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EInvoiceRejected";
  }
}

/** How long finalize waits for a transmitter before it gives up (503) and gives the number back. */
export const TRANSMIT_TIMEOUT_MS = 10_000;

/** The default: no e-invoicing regime configured, nothing sent. */
export const notRequiredTransmitter: EInvoiceTransmitter = {
  name: "none",
  transmit: async () => ({ clearance_status: "not_required" }),
};

/** The transmitters a deployment can name in `EINVOICE_TRANSMITTER`. */
export const EINVOICE_TRANSMITTERS = { none: notRequiredTransmitter } as const;
export type EInvoiceTransmitterName = keyof typeof EINVOICE_TRANSMITTERS;
export const EINVOICE_TRANSMITTER_NAMES = Object.keys(EINVOICE_TRANSMITTERS) as [
  EInvoiceTransmitterName,
  ...EInvoiceTransmitterName[],
];
