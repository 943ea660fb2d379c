import { useState } from "preact/hooks";
import { api, messageOf, type Schemas } from "../api";
import { fieldOf, ListView, SearchForm } from "../components/list-view";
import { Notice } from "../components/notice";
import { Screen } from "../components/screen";
import { money, when } from "../format";
import { pageOf, useList } from "../use-list";

type Invoice = Schemas["InvoiceListItem"];
type Status = Invoice["status"];
const STATUSES: Status[] = ["draft", "open", "partially_paid", "paid", "void", "uncollectible"];

/** Invoices with their payment state; each finalized one's PDF downloads with the session's token. */
export function Invoices() {
  const [status, setStatus] = useState<Status | "">("");
  const [message, setMessage] = useState<string | null>(null);
  const list = useList(
    async (cursor) => {
      const query = { limit: 25, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
      return pageOf<Invoice>((await api.GET("/api/v1/finance/invoices", { params: { query } })).data);
    },
    [status],
  );

  async function download(invoice: Invoice) {
    setMessage(null);
    try {
      const { data: blob } = await api.GET("/api/v1/finance/invoices/{id}/pdf", {
        params: { path: { id: invoice.id } },
        parseAs: "blob",
      });
      if (!(blob instanceof Blob)) throw new Error("The PDF did not arrive.");
      // A same-origin blob: URL, so the download needs no token in a link and no other origin.
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `${invoice.number ?? invoice.id}.pdf`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setMessage(messageOf(error));
    }
  }

  return (
    <Screen title="Invoices">
      <SearchForm submit="Filter" onSearch={(form) => setStatus(fieldOf(form, "status") as Status | "")}>
        <label for="invoice-status">Payment state</label>
        <select id="invoice-status" name="status">
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </select>
      </SearchForm>
      {message ? <Notice kind="error">{message}</Notice> : null}
      <ListView<Invoice>
        list={list}
        caption="Invoices, newest first"
        empty="No invoices match."
        columns={[
          { label: "Number", cell: (i) => i.number ?? "draft" },
          { label: "Customer", cell: (i) => i.customer.name },
          { label: "Total", cell: (i) => money(i.total, i.currency) },
          { label: "Paid", cell: (i) => money(i.amount_paid, i.currency) },
          { label: "Due", cell: (i) => money(i.amount_due, i.currency) },
          {
            label: "State",
            cell: (i) => <span class={`badge ${i.status}`}>{i.status.replace("_", " ")}</span>,
          },
          { label: "Due date", cell: (i) => i.due_date ?? "—" },
          { label: "Paid at", cell: (i) => when(i.paid_at) },
          {
            label: "PDF",
            cell: (i) =>
              i.status === "draft" ? (
                "—"
              ) : (
                <button
                  type="button"
                  onClick={() => void download(i)}
                  aria-label={`Download PDF of ${i.number}`}
                >
                  Download PDF
                </button>
              ),
          },
        ]}
      />
    </Screen>
  );
}
