/** Postgres hands timestamps back as Date or as text depending on the path; the API speaks ISO 8601 UTC. */
export function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") {
    // Postgres text output ("2026-11-22 10:00:00.123+00") is not valid for Date.parse everywhere.
    const normalised = value.includes("T") ? value : value.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
    const parsed = new Date(normalised);
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  throw new Error(`not a timestamp: ${String(value)}`);
}
