import { describe, expect, it } from "vitest";
import { undeclaredColumns } from "../../workers/api/services/privacy/column-coverage";
import { NON_PERSONAL_COLUMNS } from "../../workers/api/services/privacy/non-personal-columns";
import { STORES } from "../../workers/api/services/privacy/registry";
import { ownerSql } from "./outbox-helpers";

const schemaColumns = async () =>
  (await ownerSql()`select c.table_name, c.column_name from information_schema.columns c
      join information_schema.tables t using (table_schema, table_name)
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by 1, 2`) as {
    table_name: string;
    column_name: string;
  }[];

describe("every personal-data column has a store", () => {
  it("each column of the migrated schema is declared by a store of the registry or listed as non-personal", async () => {
    const columns = await schemaColumns();
    expect(columns.length).toBeGreaterThan(500);
    expect(undeclaredColumns(columns)).toEqual([]);
  });

  it("fails on a column a migration adds and nobody declares, and passes once a store declares it", async () => {
    const withNew = [...(await schemaColumns()), { table_name: "contacts", column_name: "date_of_birth" }];
    expect(undeclaredColumns(withNew)).toEqual(["contacts.date_of_birth"]);
    const declaring = STORES.map((s) =>
      s.name === "crm.contacts"
        ? { ...s, columns: { contacts: [...(s.columns.contacts ?? []), "date_of_birth"] } }
        : s,
    );
    expect(undeclaredColumns(withNew, declaring)).toEqual([]);
  });

  it("no column is both declared personal and listed as non-personal, and stores name real columns", async () => {
    const real = new Set((await schemaColumns()).map((c) => `${c.table_name}.${c.column_name}`));
    for (const store of STORES) {
      for (const [table, cols] of Object.entries(store.columns)) {
        for (const c of cols) {
          expect(NON_PERSONAL_COLUMNS[table] ?? [], `${store.name} ${table}.${c}`).not.toContain(c);
          // The vector column exists only where pgvector does (migration 0020).
          if (!(table === "resources_embeddings" && c === "embedding"))
            expect(real, `${table}.${c}`).toContain(`${table}.${c}`);
        }
      }
    }
  });

  it("store names are unique", () => {
    expect(new Set(STORES.map((s) => s.name)).size).toBe(STORES.length);
  });
});
