import { useState } from "preact/hooks";
import { api, data, messageOf, type Schemas } from "../api";
import { DataTable } from "../components/data-table";
import { ListView } from "../components/list-view";
import { Loading, Notice } from "../components/notice";
import { Screen } from "../components/screen";
import { SecretOnce } from "../components/secret-once";
import { when } from "../format";
import { pageOf, useList } from "../use-list";
import { useLoad } from "../use-load";

type Endpoint = Schemas["WebhookEndpoint"];
type Delivery = Schemas["WebhookDelivery"];

/** Webhook endpoints, each with its delivery log, a replay per delivery and a test event. */
export function Webhooks() {
  const [selected, setSelected] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const endpoints = useList(async (cursor) => {
    const { data: body } = await api.GET("/api/v1/webhooks/endpoints", {
      params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } },
    });
    return pageOf<Endpoint>(body);
  }, []);
  const current = endpoints.items.find((e) => e.id === selected) ?? null;

  async function register(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    setMessage(null);
    try {
      const description = String(form.get("description") ?? "").trim();
      const created = await data(
        api.POST("/api/v1/webhooks/endpoints", {
          body: { url: String(form.get("url") ?? ""), ...(description ? { description } : {}) },
        }),
      );
      formElement.reset();
      setSecret(created.secret);
      endpoints.reload();
    } catch (error) {
      setMessage({ kind: "error", text: messageOf(error) });
    }
  }

  return (
    <Screen title="Webhooks" intro="Where your events are sent, and what each receiver answered.">
      {secret ? (
        <SecretOnce
          label="Signing secret of the new endpoint"
          secret={secret}
          onDone={() => setSecret(null)}
        />
      ) : null}
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <ListView<Endpoint>
        list={endpoints}
        caption="Webhook endpoints"
        empty="No webhook endpoints yet."
        columns={[
          { label: "URL", cell: (e) => <code>{e.url}</code> },
          { label: "Description", cell: (e) => e.description ?? "—" },
          { label: "Events", cell: (e) => (e.event_types.length ? e.event_types.join(", ") : "all") },
          { label: "Enabled", cell: (e) => (e.enabled ? "yes" : "no") },
          {
            label: "Deliveries",
            cell: (e) => (
              <button
                type="button"
                aria-pressed={selected === e.id}
                aria-label={`${selected === e.id ? "Hide" : "Show"} deliveries of ${e.url}`}
                onClick={() => setSelected(selected === e.id ? null : e.id)}
              >
                {selected === e.id ? "Hide deliveries" : "Show deliveries"}
              </button>
            ),
          },
        ]}
      />
      {current ? <Deliveries endpoint={current} /> : null}

      <h2>Register an endpoint</h2>
      <form class="stack" onSubmit={register}>
        <div class="field">
          <label for="endpoint-url">URL (required)</label>
          <input
            id="endpoint-url"
            name="url"
            type="url"
            required
            maxLength={2048}
            autoComplete="off"
            aria-describedby="endpoint-url-hint"
          />
          <span id="endpoint-url-hint" class="muted small">
            https, on a public address (a local development region also accepts http://127.0.0.1).
          </span>
        </div>
        <div class="field">
          <label for="endpoint-description">Description</label>
          <input id="endpoint-description" name="description" maxLength={200} autoComplete="off" />
        </div>
        <button type="submit">Register endpoint</button>
      </form>
    </Screen>
  );
}

function Deliveries(props: { endpoint: Endpoint }) {
  const id = props.endpoint.id;
  const [open, setOpen] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string } | null>(null);
  const list = useList(
    async (cursor) => {
      const { data: body } = await api.GET("/api/v1/webhooks/endpoints/{id}/deliveries", {
        params: { path: { id }, query: { limit: 25, ...(cursor ? { cursor } : {}) } },
      });
      return pageOf<Delivery>(body);
    },
    [id],
  );

  async function act(work: () => Promise<string>) {
    setMessage(null);
    try {
      setMessage({ kind: "info", text: await work() });
      list.reload();
    } catch (error) {
      setMessage({ kind: "error", text: messageOf(error) });
    }
  }

  const replay = (d: Delivery) =>
    act(async () => {
      await api.POST("/api/v1/webhooks/endpoints/{id}/deliveries/{delivery_id}/replay", {
        params: { path: { id, delivery_id: d.id } },
      });
      return `Replaying the ${d.event_type} delivery: a new round of attempts has started.`;
    });

  return (
    <section aria-labelledby="deliveries-title" class="panel">
      <h2 id="deliveries-title">Deliveries to {props.endpoint.url}</h2>
      <div class="actions">
        <button type="button" onClick={list.reload}>
          Refresh deliveries
        </button>
        <button
          type="button"
          onClick={() =>
            void act(async () => {
              await api.POST("/api/v1/webhooks/endpoints/{id}/test", { params: { path: { id } } });
              return "A webhook.test event is on its way.";
            })
          }
        >
          Send test event
        </button>
      </div>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <ListView<Delivery>
        list={list}
        caption="Deliveries, newest first"
        empty="Nothing delivered to this endpoint yet."
        columns={[
          {
            label: "Event",
            cell: (d) => (
              <>
                {d.event_type}
                <br />
                <code class="small muted">{d.event_id}</code>
              </>
            ),
          },
          { label: "State", cell: (d) => <span class={`badge ${d.state}`}>{d.state}</span> },
          { label: "Attempts", cell: (d) => String(d.attempt_count) },
          {
            label: "Last answer",
            cell: (d) => (d.last_status ? `HTTP ${d.last_status}` : (d.last_error ?? "—")),
          },
          { label: "Created", cell: (d) => when(d.created_at) },
          {
            label: "Actions",
            cell: (d) => (
              <span class="actions">
                <button
                  type="button"
                  aria-expanded={open === d.id}
                  aria-label={`Attempts of the ${d.event_type} delivery`}
                  onClick={() => setOpen(open === d.id ? null : d.id)}
                >
                  Attempts
                </button>
                <button
                  type="button"
                  disabled={d.state === "pending" || d.state === "delivering"}
                  aria-label={`Replay the ${d.event_type} delivery`}
                  onClick={() => void replay(d)}
                >
                  Replay
                </button>
              </span>
            ),
          },
        ]}
      />
      {open ? <Attempts endpointId={id} deliveryId={open} /> : null}
    </section>
  );
}

function Attempts(props: { endpointId: string; deliveryId: string }) {
  const delivery = useLoad(
    () =>
      data(
        api.GET("/api/v1/webhooks/endpoints/{id}/deliveries/{delivery_id}", {
          params: { path: { id: props.endpointId, delivery_id: props.deliveryId } },
        }),
      ),
    [props.deliveryId],
  );
  const attempts = (delivery.data?.attempts ?? []).map((a) => ({ ...a, id: String(a.attempt) }));
  return (
    <>
      <Loading loading={delivery.loading} error={delivery.error} />
      <DataTable
        caption={`Attempts of delivery ${props.deliveryId}`}
        rows={attempts}
        empty="No attempt yet."
        columns={[
          { label: "Attempt", cell: (a) => String(a.attempt) },
          { label: "Started", cell: (a) => when(a.started_at) },
          {
            label: "Answer",
            cell: (a) => (a.response_status ? `HTTP ${a.response_status}` : (a.error ?? "—")),
          },
          { label: "Duration", cell: (a) => `${a.duration_ms} ms` },
        ]}
      />
    </>
  );
}
