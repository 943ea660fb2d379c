import { COMMON_NON_PERSONAL, NON_PERSONAL_COLUMNS } from "./non-personal-columns";
import { STORES } from "./registry";

/**
 * The columns of a schema (information_schema rows) that neither a store declares nor the
 * non-personal list names: each is a column nobody has said whether it holds personal data.
 */
export function undeclaredColumns(
  columns: readonly { table_name: string; column_name: string }[],
  stores = STORES,
): string[] {
  const declared = new Set<string>();
  for (const store of stores) {
    for (const [table, cols] of Object.entries(store.columns))
      for (const c of cols) declared.add(`${table}.${c}`);
  }
  const common: readonly string[] = COMMON_NON_PERSONAL;
  return columns
    .filter((c) => !common.includes(c.column_name))
    .filter((c) => !(NON_PERSONAL_COLUMNS[c.table_name] ?? []).includes(c.column_name))
    .filter((c) => !declared.has(`${c.table_name}.${c.column_name}`))
    .map((c) => `${c.table_name}.${c.column_name}`);
}
