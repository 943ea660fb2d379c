import { api, messageOf, type Schemas } from "../api";
import { fieldOf } from "../components/list-view";

type Field = Schemas["CustomFieldDefinition"];
type Stage = Schemas["PipelineStage"];
export type Outcome = { kind: "error" | "info"; text: string };

/** PATCH /api/v1/nexus/tenant with one part; the answer or the API's reason, as a notice. */
async function save(body: Schemas["TenantSettingsPatch"], done: string): Promise<Outcome> {
  try {
    await api.PATCH("/api/v1/nexus/tenant", { body });
    return { kind: "info", text: done };
  } catch (error) {
    return { kind: "error", text: messageOf(error) };
  }
}

/**
 * A record type's fields, each with its label, whether it is required and an enum's options
 * editable. The whole list is sent, as the API wants it; a field's key and type stay.
 */
export function FieldsEditor(props: {
  entity: "contact" | "lead";
  title: string;
  fields: Field[];
  /** The answer, for the screen to show (this form is made anew from the saved settings). */
  onSaved: (outcome: Outcome) => void;
}) {
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const list = props.fields.map((f) => ({
      key: f.key,
      type: f.type,
      label: fieldOf(form, `label.${f.key}`),
      required: form.get(`required.${f.key}`) === "on",
      options:
        f.type === "enum"
          ? fieldOf(form, `options.${f.key}`)
              .split(",")
              .map((o) => o.trim())
              .filter(Boolean)
          : [],
    }));
    props.onSaved(
      await save({ custom_fields: { [props.entity]: list } }, `Saved the ${props.title.toLowerCase()}.`),
    );
  }
  return (
    <form onSubmit={submit}>
      <div class="table-wrap">
        <table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Type</th>
              <th scope="col">Label</th>
              <th scope="col">Required</th>
              <th scope="col">Options (enum, comma-separated)</th>
            </tr>
          </thead>
          <tbody>
            {props.fields.length === 0 ? (
              <tr>
                <td colSpan={5}>No custom fields.</td>
              </tr>
            ) : (
              props.fields.map((f) => (
                <tr key={f.key}>
                  <th scope="row">
                    <code>{f.key}</code>
                  </th>
                  <td>{f.type}</td>
                  <td>
                    <input
                      name={`label.${f.key}`}
                      defaultValue={f.label}
                      required
                      aria-label={`Label of ${f.key}`}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      name={`required.${f.key}`}
                      defaultChecked={f.required}
                      aria-label={`${f.key} is required`}
                    />
                  </td>
                  <td>
                    {f.type === "enum" ? (
                      <input
                        name={`options.${f.key}`}
                        defaultValue={(f.options ?? []).join(", ")}
                        aria-label={`Options of ${f.key}`}
                      />
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      {props.fields.length > 0 ? <button type="submit">Save {props.title.toLowerCase()}</button> : null}
    </form>
  );
}

/** The pipeline's stages in order: names and open stages' probabilities editable. */
export function PipelineEditor(props: { stages: Stage[]; onSaved: (outcome: Outcome) => void }) {
  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const pipeline = props.stages.map((p) => ({
      key: p.key,
      terminal: p.terminal,
      name: fieldOf(form, `name.${p.key}`),
      probability: p.terminal ? p.probability : Number(fieldOf(form, `probability.${p.key}`)),
    }));
    props.onSaved(await save({ pipeline }, "Saved the pipeline."));
  }
  return (
    <form onSubmit={submit}>
      <div class="table-wrap">
        <table>
          <caption>Opportunity stages, in order</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Name</th>
              <th scope="col">Probability (%)</th>
              <th scope="col">Ends the deal</th>
            </tr>
          </thead>
          <tbody>
            {props.stages.map((p) => (
              <tr key={p.key}>
                <th scope="row">
                  <code>{p.key}</code>
                </th>
                <td>
                  <input
                    name={`name.${p.key}`}
                    defaultValue={p.name}
                    required
                    aria-label={`Name of stage ${p.key}`}
                  />
                </td>
                <td>
                  {p.terminal ? (
                    `${p.probability}`
                  ) : (
                    <input
                      type="number"
                      min={0}
                      max={100}
                      name={`probability.${p.key}`}
                      defaultValue={String(p.probability)}
                      aria-label={`Probability of stage ${p.key}`}
                    />
                  )}
                </td>
                <td>{p.terminal ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="submit">Save pipeline</button>
    </form>
  );
}
