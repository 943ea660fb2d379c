import { useState } from "preact/hooks";
import type { paths } from "../../../packages/client/src/generated/openapi";
import { api, type Schemas } from "../api";
import { fieldOf, ListView, SearchForm } from "../components/list-view";
import { Screen } from "../components/screen";
import { when } from "../format";
import { pageOf, useList } from "../use-list";

type Entry = Schemas["AuditEntry"];
/** The actions the log knows (an unknown one is refused by the API with a message that lists them). */
type Action = NonNullable<NonNullable<paths["/api/v1/iam/audit"]["get"]["parameters"]["query"]>["action"]>;

/** The audit log, newest first, filtered by action. */
export function Audit() {
  const [action, setAction] = useState<Action | "">("");
  const list = useList(
    async (cursor) => {
      const query = { limit: 50, ...(action ? { action } : {}), ...(cursor ? { cursor } : {}) };
      return pageOf<Entry>((await api.GET("/api/v1/iam/audit", { params: { query } })).data);
    },
    [action],
  );
  return (
    <Screen title="Audit log">
      <SearchForm submit="Filter" onSearch={(form) => setAction(fieldOf(form, "action") as Action | "")}>
        <label for="audit-action">Action</label>
        <input id="audit-action" name="action" type="search" placeholder="e.g. api_key.created" />
      </SearchForm>
      <ListView<Entry>
        list={list}
        caption="Audit entries, newest first"
        empty="No entries match."
        columns={[
          { label: "When", cell: (e) => when(e.created_at) },
          { label: "Action", cell: (e) => <code>{e.action}</code> },
          { label: "Outcome", cell: (e) => e.outcome },
          { label: "Actor", cell: (e) => `${e.actor_type} ${e.actor_id ?? ""}`.trim() },
          { label: "Target", cell: (e) => (e.target_type ? `${e.target_type} ${e.target_id ?? ""}` : "—") },
          { label: "Address", cell: (e) => e.ip ?? "—" },
        ]}
      />
    </Screen>
  );
}
