import { defineConfig } from "drizzle-kit";

// Generation only (`npm run db:generate`); migrations are applied per region by scripts/db-migrate.ts.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
  entities: { roles: { provider: "" } },
});
