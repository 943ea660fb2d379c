import { useState } from "preact/hooks";
import { api, messageOf, type Schemas } from "../api";
import { ListView } from "../components/list-view";
import { Notice } from "../components/notice";
import { Screen } from "../components/screen";
import { when } from "../format";
import { pageOf, useList } from "../use-list";

type Member = Schemas["Member"];
type Role = Schemas["Role"];

/** Members with their roles (a role changed in place), and the roles with what each may do. */
export function Members() {
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const members = useList(async (cursor) => {
    const { data: body } = await api.GET("/api/v1/iam/members", {
      params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
    });
    return pageOf<Member>(body);
  }, []);
  const roles = useList(async (cursor) => {
    const { data: body } = await api.GET("/api/v1/iam/roles", {
      params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
    });
    return pageOf<Role>(body);
  }, []);

  async function changeRole(member: Member, role: string) {
    setMessage(null);
    try {
      await api.PATCH("/api/v1/iam/members/{id}", { params: { path: { id: member.id } }, body: { role } });
      setMessage({ kind: "info", text: `${member.email} is now ${role}.` });
      members.reload();
    } catch (error) {
      setMessage({ kind: "error", text: messageOf(error) });
      members.reload();
    }
  }

  return (
    <Screen title="Members and roles">
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <ListView<Member>
        list={members}
        caption="Members"
        empty="No members."
        columns={[
          { label: "Name", cell: (m) => m.name ?? "—" },
          { label: "E-mail", cell: (m) => m.email },
          {
            label: "Role",
            cell: (m) => (
              <select
                aria-label={`Role of ${m.email}`}
                value={m.role}
                onChange={(e) => void changeRole(m, (e.currentTarget as HTMLSelectElement).value)}
              >
                {roles.items.map((r) => (
                  <option key={r.id} value={r.name}>
                    {r.name}
                  </option>
                ))}
              </select>
            ),
          },
          { label: "Status", cell: (m) => m.status },
          { label: "Since", cell: (m) => when(m.created_at) },
        ]}
      />
      <h2>Roles</h2>
      <ListView<Role>
        list={roles}
        caption="Roles and their permissions"
        empty="No roles."
        columns={[
          { label: "Role", cell: (r) => r.name },
          { label: "Kind", cell: (r) => (r.is_system ? "system" : "custom") },
          {
            label: "Permissions",
            cell: (r) => <span class="small">{r.permissions.join(", ") || "none"}</span>,
          },
        ]}
      />
    </Screen>
  );
}
