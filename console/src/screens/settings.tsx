import { useState } from "preact/hooks";
import { api, data, messageOf } from "../api";
import { Loading, Notice } from "../components/notice";
import { Screen } from "../components/screen";
import { useLoad } from "../use-load";
import { FieldsEditor, type Outcome, PipelineEditor } from "./settings-editors";

/** The tenant: its name (renamed here), region, industry fields and pipeline. */
export function Settings() {
  const settings = useLoad(() => data(api.GET("/api/v1/nexus/tenant")), []);
  const [message, setMessage] = useState<Outcome | null>(null);
  // Per part, shown under its form (which is made anew from the settings each save returns).
  const [saved, setSaved] = useState<Record<string, Outcome>>({});
  const onSaved = (part: string) => (outcome: Outcome) => {
    setSaved((all) => ({ ...all, [part]: outcome }));
    settings.reload();
  };
  const notice = (part: string) => {
    const outcome = saved[part];
    return outcome ? <Notice kind={outcome.kind}>{outcome.text}</Notice> : null;
  };
  const s = settings.data;

  async function rename(event: Event) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget as HTMLFormElement).get("name") ?? "").trim();
    setMessage(null);
    try {
      await api.PATCH("/api/v1/nexus/tenant", { body: { name } });
      setMessage({ kind: "info", text: `Renamed to ${name}.` });
      settings.reload();
    } catch (error) {
      setMessage({ kind: "error", text: messageOf(error) });
    }
  }

  return (
    <Screen title="Settings">
      <Loading loading={settings.loading && !s} error={settings.error} />
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {s ? (
        <>
          <dl class="facts">
            <dt>Slug</dt>
            <dd>{s.slug}</dd>
            <dt>Region</dt>
            <dd>{s.region}</dd>
            <dt>Country</dt>
            <dd>{s.country}</dd>
            <dt>Industry</dt>
            <dd>{s.industry ?? "none"}</dd>
            <dt>Currency</dt>
            <dd>{s.default_currency}</dd>
          </dl>
          <form class="stack" onSubmit={rename}>
            <div class="field">
              <label for="tenant-name">Business name</label>
              <input
                id="tenant-name"
                name="name"
                required
                maxLength={200}
                defaultValue={s.name}
                key={s.name}
              />
            </div>
            <button type="submit">Save name</button>
          </form>
          <h2>Contact fields</h2>
          <FieldsEditor
            key={`contact-${s.updated_at}`}
            entity="contact"
            title="Contact fields"
            fields={s.custom_fields.contact}
            onSaved={onSaved("contact")}
          />
          {notice("contact")}
          <h2>Lead fields</h2>
          <FieldsEditor
            key={`lead-${s.updated_at}`}
            entity="lead"
            title="Lead fields"
            fields={s.custom_fields.lead}
            onSaved={onSaved("lead")}
          />
          {notice("lead")}
          <h2>Pipeline</h2>
          <PipelineEditor
            key={`pipeline-${s.updated_at}`}
            stages={s.pipeline}
            onSaved={onSaved("pipeline")}
          />
          {notice("pipeline")}
          <p class="muted">
            Adding or removing a field or a stage is done with <code>PATCH /api/v1/nexus/tenant</code> (see
            the API reference at <a href="/docs">/docs</a>).
          </p>
        </>
      ) : null}
    </Screen>
  );
}
