import { useState } from "preact/hooks";
import { api, data, messageOf, type Schemas } from "../api";
import { ListView } from "../components/list-view";
import { Notice } from "../components/notice";
import { Screen } from "../components/screen";
import { SecretOnce } from "../components/secret-once";
import { when } from "../format";
import { pageOf, useList } from "../use-list";

type ApiKey = Schemas["ApiKey"];
type Role = Schemas["ApiKeyInput"]["role"];
type Scope = Schemas["ApiKeyInput"]["scopes"][number];

const ROLES: Role[] = ["Admin", "Manager", "Member", "Viewer", "Guest"];
const DEFAULT_ROLE: Role = "Member";
const SCOPES: Scope[] = ["crm:read", "crm:write", "iam:read", "iam:write", "webhooks:read", "webhooks:write"];

/** API keys: create (the secret shown once), rotate (the new secret shown once), revoke. */
export function ApiKeys() {
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const list = useList(async (cursor) => {
    const { data: body } = await api.GET("/api/v1/iam/api-keys", {
      params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
    });
    return pageOf<ApiKey>(body);
  }, []);

  async function act(work: () => Promise<void>) {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      list.reload();
    } catch (error) {
      setMessage({ kind: "error", text: messageOf(error) });
    } finally {
      setBusy(false);
    }
  }

  const create = (event: Event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const scopes = form.getAll("scope").map(String) as Scope[];
    if (scopes.length === 0) {
      setMessage({ kind: "error", text: "Choose at least one scope." });
      return;
    }
    void act(async () => {
      const created = await data(
        api.POST("/api/v1/iam/api-keys", {
          body: { name: String(form.get("name") ?? ""), role: String(form.get("role")) as Role, scopes },
        }),
      );
      formElement.reset();
      // Preact sets the select's value, not its default, so a reset alone would land on the first role.
      (formElement.elements.namedItem("role") as HTMLSelectElement).value = DEFAULT_ROLE;
      setSecret({ label: `New key “${created.name}”`, value: created.secret });
    });
  };

  const rotate = (key: ApiKey) =>
    act(async () => {
      const rotated = await data(
        api.POST("/api/v1/iam/api-keys/{id}/rotate", { params: { path: { id: key.id } }, body: {} }),
      );
      setSecret({
        label: `Rotated key “${rotated.name}” (the old one works for 24 hours)`,
        value: rotated.secret,
      });
    });

  const revoke = (key: ApiKey) => {
    if (!window.confirm(`Revoke “${key.name}”? Requests with it stop working.`)) return;
    void act(async () => {
      await api.POST("/api/v1/iam/api-keys/{id}/revoke", { params: { path: { id: key.id } } });
      setMessage({ kind: "info", text: `Revoked “${key.name}”.` });
    });
  };

  return (
    <Screen
      title="API keys"
      intro="Keys for your own programs. A key acts with the role and scopes you give it."
    >
      {secret ? (
        <SecretOnce label={secret.label} secret={secret.value} onDone={() => setSecret(null)} />
      ) : null}
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <ListView<ApiKey>
        list={list}
        caption="API keys"
        empty="No API keys yet."
        columns={[
          { label: "Name", cell: (k) => k.name },
          { label: "Key", cell: (k) => <code>{k.hint}</code> },
          { label: "Role", cell: (k) => k.role },
          { label: "Scopes", cell: (k) => k.scopes.join(", ") },
          {
            label: "Status",
            cell: (k) => (
              <span class={`badge ${k.status}`}>
                {k.status === "active" && k.replaced_by_id ? "active until its grace period ends" : k.status}
              </span>
            ),
          },
          { label: "Expires", cell: (k) => when(k.expires_at) },
          {
            label: "Actions",
            cell: (k) =>
              k.status === "active" ? (
                <span class="actions">
                  {k.replaced_by_id ? null : (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => void rotate(k)}
                      aria-label={`Rotate ${k.name} (${k.hint})`}
                    >
                      Rotate
                    </button>
                  )}
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    onClick={() => revoke(k)}
                    aria-label={`Revoke ${k.name} (${k.hint})`}
                  >
                    Revoke
                  </button>
                </span>
              ) : (
                "—"
              ),
          },
        ]}
      />

      <h2>Create a key</h2>
      <form class="stack" onSubmit={create}>
        <div class="field">
          <label for="key-name">Name (required)</label>
          <input id="key-name" name="name" required maxLength={100} autoComplete="off" />
        </div>
        <div class="field">
          <label for="key-role">Role</label>
          <select id="key-role" name="role" defaultValue={DEFAULT_ROLE}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <div class="field checkbox" key={s}>
              <input
                id={`key-scope-${s}`}
                type="checkbox"
                name="scope"
                value={s}
                defaultChecked={s === "crm:read"}
              />
              <label for={`key-scope-${s}`}>{s}</label>
            </div>
          ))}
        </fieldset>
        <button type="submit" disabled={busy}>
          Create key
        </button>
      </form>
    </Screen>
  );
}
