import { useState } from "preact/hooks";
import { api, type Schemas } from "../api";
import { fieldOf, ListView, SearchForm } from "../components/list-view";
import { Screen } from "../components/screen";
import { money, when } from "../format";
import { pageOf, useList } from "../use-list";

type Lead = Schemas["Lead"];
type Opportunity = Schemas["Opportunity"];
type LeadStatus = Lead["status"];

const LEAD_STATUSES: LeadStatus[] = ["new", "contacted", "qualified", "unqualified", "converted"];

/** Leads: search by exact e-mail address, filter by status. */
export function Leads() {
  const [filter, setFilter] = useState<{ email?: string; status?: LeadStatus }>({});
  const list = useList(
    async (cursor) => {
      const query = { limit: 25, ...filter, ...(cursor ? { cursor } : {}) };
      return pageOf<Lead>((await api.GET("/api/v1/crm/leads", { params: { query } })).data);
    },
    [filter.email, filter.status],
  );
  const search = (form: FormData) => {
    const email = fieldOf(form, "email");
    const status = fieldOf(form, "status") as LeadStatus | "";
    setFilter({ ...(email ? { email } : {}), ...(status ? { status } : {}) });
  };
  return (
    <Screen title="Leads">
      <SearchForm submit="Search" onSearch={search}>
        <label for="lead-email">E-mail</label>
        <input id="lead-email" name="email" type="search" />
        <label for="lead-status">Status</label>
        <select id="lead-status" name="status">
          <option value="">any</option>
          {LEAD_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </SearchForm>
      <ListView<Lead>
        list={list}
        caption="Leads, newest first"
        empty="No leads match."
        columns={[
          { label: "Name", cell: (l) => [l.first_name, l.last_name].filter(Boolean).join(" ") || "—" },
          { label: "E-mail", cell: (l) => l.email ?? "—" },
          { label: "Company", cell: (l) => l.company ?? "—" },
          { label: "Source", cell: (l) => l.source ?? "—" },
          { label: "Status", cell: (l) => <span class="badge">{l.status}</span> },
          { label: "Added", cell: (l) => when(l.created_at) },
        ]}
      />
    </Screen>
  );
}

/** Opportunities: filter by pipeline stage (the tenant's own stages). */
export function Opportunities() {
  const [stage, setStage] = useState("");
  const list = useList(
    async (cursor) => {
      const query = { limit: 25, ...(stage ? { stage } : {}), ...(cursor ? { cursor } : {}) };
      return pageOf<Opportunity>((await api.GET("/api/v1/crm/opportunities", { params: { query } })).data);
    },
    [stage],
  );
  return (
    <Screen title="Opportunities">
      <SearchForm submit="Search" onSearch={(form) => setStage(fieldOf(form, "stage"))}>
        <label for="opportunity-stage">Stage key</label>
        <input id="opportunity-stage" name="stage" type="search" placeholder="e.g. proposal" />
      </SearchForm>
      <ListView<Opportunity>
        list={list}
        caption="Opportunities, newest first"
        empty="No opportunities match."
        columns={[
          { label: "Name", cell: (o) => o.name },
          { label: "Stage", cell: (o) => o.stage },
          { label: "Status", cell: (o) => <span class="badge">{o.status}</span> },
          { label: "Amount", cell: (o) => (o.amount === null ? "—" : money(o.amount, o.currency ?? "EUR")) },
          { label: "Expected close", cell: (o) => o.expected_close_date ?? "—" },
        ]}
      />
    </Screen>
  );
}
