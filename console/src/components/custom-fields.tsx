import type { Schemas } from "../api";

type Definition = Schemas["CustomFieldDefinition"];
export type CustomValues = Record<string, string | number | boolean>;

/**
 * The tenant's own fields for a record (its industry preset's, as changed in Settings): one
 * labelled input per definition, required ones marked as required.
 */
export function CustomFields(props: {
  idPrefix: string;
  definitions: Definition[];
  values: Record<string, string>;
}) {
  return (
    <>
      {props.definitions.map((d) => {
        const id = `${props.idPrefix}-${d.key}`;
        const label = `${d.label}${d.required ? " (required)" : ""}`;
        if (d.type === "boolean") {
          return (
            <div class="field checkbox" key={d.key}>
              <input id={id} name={`cf.${d.key}`} type="checkbox" />
              <label for={id}>{d.label}</label>
            </div>
          );
        }
        return (
          <div class="field" key={d.key}>
            <label for={id}>{label}</label>
            {d.type === "enum" ? (
              <select
                id={id}
                name={`cf.${d.key}`}
                required={d.required}
                defaultValue={props.values[d.key] ?? ""}
              >
                <option value="">—</option>
                {(d.options ?? []).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : d.type === "number" ? (
              <input id={id} name={`cf.${d.key}`} type="number" step="any" required={d.required} />
            ) : d.type === "date" ? (
              <input id={id} name={`cf.${d.key}`} type="date" required={d.required} />
            ) : (
              <input id={id} name={`cf.${d.key}`} type="text" required={d.required} />
            )}
          </div>
        );
      })}
    </>
  );
}

/** The `custom_fields` object of a submitted form (`cf.<key>` inputs), typed by the definitions. */
export function customValuesOf(form: FormData, definitions: Definition[]): CustomValues {
  const values: CustomValues = {};
  for (const d of definitions) {
    const raw = form.get(`cf.${d.key}`);
    if (d.type === "boolean") {
      values[d.key] = raw === "on";
      continue;
    }
    if (typeof raw !== "string" || raw === "") continue;
    values[d.key] = d.type === "number" ? Number(raw) : raw;
  }
  return values;
}
