import { useState } from "preact/hooks";
import { api, data, messageOf, type Schemas } from "../api";
import { CustomFields, customValuesOf } from "../components/custom-fields";
import { fieldOf, ListView, SearchForm } from "../components/list-view";
import { Notice } from "../components/notice";
import { Screen } from "../components/screen";
import { when } from "../format";
import { pageOf, useList } from "../use-list";
import { useLoad } from "../use-load";

type Contact = Schemas["Contact"];

const text = (form: FormData, name: string) => fieldOf(form, name) || undefined;

/** Contacts: search by name (or an exact e-mail address), and add one with the tenant's fields. */
export function Contacts() {
  const [search, setSearch] = useState("");
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const settings = useLoad(() => data(api.GET("/api/v1/nexus/tenant")), []);
  const definitions = settings.data?.custom_fields.contact ?? [];
  const list = useList(
    async (cursor) => {
      const query = search.includes("@") ? { email: search } : search ? { name: search } : {};
      const { data: body } = await api.GET("/api/v1/crm/contacts", {
        params: { query: { limit: 25, ...query, ...(cursor ? { cursor } : {}) } },
      });
      return pageOf<Contact>(body);
    },
    [search],
  );

  async function create(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    setBusy(true);
    setMessage(null);
    try {
      const contact = await data(
        api.POST("/api/v1/crm/contacts", {
          body: {
            first_name: text(form, "first_name") ?? "",
            last_name: text(form, "last_name"),
            email: text(form, "email"),
            company: text(form, "company"),
            custom_fields: customValuesOf(form, definitions),
          },
        }),
      );
      formElement.reset();
      const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
      setMessage({ kind: "info", text: `Added ${name}.` });
      list.reload();
    } catch (error) {
      setMessage({ kind: "error", text: messageOf(error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title="Contacts">
      <SearchForm submit="Search" onSearch={(form) => setSearch(fieldOf(form, "q"))}>
        <label for="contact-search">Search contacts</label>
        <input id="contact-search" name="q" type="search" placeholder="Name or exact e-mail" />
      </SearchForm>
      <ListView<Contact>
        list={list}
        caption={search ? `Contacts matching “${search}”` : "All contacts, newest first"}
        empty={search ? "No contact matches." : "No contacts yet."}
        columns={[
          { label: "Name", cell: (c) => `${c.first_name} ${c.last_name ?? ""}`.trim() },
          { label: "E-mail", cell: (c) => c.email ?? "—" },
          { label: "Company", cell: (c) => c.company ?? "—" },
          { label: "Added", cell: (c) => when(c.created_at) },
        ]}
      />

      <h2>Add a contact</h2>
      <form class="stack" onSubmit={create}>
        <div class="field">
          <label for="contact-first">First name (required)</label>
          <input id="contact-first" name="first_name" required maxLength={100} autoComplete="off" />
        </div>
        <div class="field">
          <label for="contact-last">Last name</label>
          <input id="contact-last" name="last_name" maxLength={100} autoComplete="off" />
        </div>
        <div class="field">
          <label for="contact-email">E-mail</label>
          <input id="contact-email" name="email" type="email" autoComplete="off" />
        </div>
        <div class="field">
          <label for="contact-company">Company</label>
          <input id="contact-company" name="company" maxLength={200} autoComplete="off" />
        </div>
        <CustomFields idPrefix="contact-cf" definitions={definitions} values={{}} />
        <button type="submit" disabled={busy}>
          Add contact
        </button>
      </form>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
    </Screen>
  );
}
