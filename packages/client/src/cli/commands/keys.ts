import type { Command } from "commander";
import { commandContext, type GlobalOptions } from "../context";
import { CliError, fields, table } from "../output";

const collect = (value: string, previous: string[] = []) => [...previous, value];
const SECRET_WARNING = "Store the secret now: it is shown only this once.";

type Role = "Owner" | "Admin" | "Manager" | "Member" | "Viewer" | "Guest";
type Scope = "crm:read" | "crm:write" | "iam:read" | "iam:write" | "webhooks:read" | "webhooks:write";

export function registerKeys(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command("keys").description("The tenant's API keys (create, rotate, revoke)");
  keys
    .command("list")
    .description("List API keys (never their secrets)")
    .action(async () => {
      const ctx = commandContext(globals());
      const nexus = ctx.client();
      const rows = [];
      for await (const key of nexus.list("/api/v1/iam/api-keys", { limit: 200 })) rows.push(key);
      if (ctx.output.json) return ctx.output.out(JSON.stringify(rows));
      ctx.output.out(
        table(
          rows.map((k) => ({
            id: k.id,
            name: k.name,
            hint: k.hint,
            role: k.role,
            scopes: k.scopes.join(" "),
            status: k.status,
            expires: k.expires_at.slice(0, 10),
          })),
          ["id", "name", "hint", "role", "scopes", "status", "expires"],
        ),
      );
    });
  keys
    .command("create")
    .description("Create an API key; its secret is printed once")
    .requiredOption("--name <name>")
    .option("--role <role>", "Owner, Admin, Manager, Member, Viewer or Guest (at most your own)", "Member")
    .option(
      "--scope <scope>",
      "crm:read, crm:write, iam:read, iam:write, webhooks:read, webhooks:write (repeat)",
      collect,
    )
    .option("--expires-at <RFC 3339>", "at most 90 days away (default 90 days)")
    .action(async (options: { name: string; role: string; scope?: string[]; expiresAt?: string }) => {
      const ctx = commandContext(globals());
      const nexus = ctx.client();
      const key = await nexus.data(
        nexus.api.POST("/api/v1/iam/api-keys", {
          body: {
            name: options.name,
            role: options.role as Role,
            scopes: (options.scope ?? ["crm:read"]) as Scope[],
            ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
          },
        }),
      );
      if (ctx.output.json) return ctx.output.out(JSON.stringify(key));
      ctx.output.out(
        `Created API key ${key.id}\n${fields({ name: key.name, role: key.role, scopes: key.scopes.join(" "), expires: key.expires_at, secret: key.secret })}`,
      );
      ctx.output.err(SECRET_WARNING);
    });
  keys
    .command("rotate <id>")
    .description("Replace a key: a new secret now, the old one keeps working for the grace period")
    .option("--grace-period <seconds>", "how long the old key keeps working (0–604800, default 86400)")
    .action(async (id: string, options: { gracePeriod?: string }) => {
      const ctx = commandContext(globals());
      const grace = options.gracePeriod === undefined ? undefined : Number(options.gracePeriod);
      if (grace !== undefined && !Number.isInteger(grace))
        throw new CliError("--grace-period: whole seconds", 2);
      const nexus = ctx.client();
      const key = await nexus.data(
        nexus.api.POST("/api/v1/iam/api-keys/{id}/rotate", {
          params: { path: { id } },
          body: grace === undefined ? {} : { grace_period_seconds: grace },
        }),
      );
      if (ctx.output.json) return ctx.output.out(JSON.stringify(key));
      ctx.output.out(
        `Rotated: new key ${key.id}\n${fields({ name: key.name, secret: key.secret, previous: key.previous.id, previous_expires: key.previous.expires_at })}`,
      );
      ctx.output.err(SECRET_WARNING);
    });
  keys
    .command("revoke <id>")
    .description("Revoke a key at once")
    .action(async (id: string) => {
      const ctx = commandContext(globals());
      const nexus = ctx.client();
      const key = await nexus.data(
        nexus.api.POST("/api/v1/iam/api-keys/{id}/revoke", { params: { path: { id } } }),
      );
      if (ctx.output.json) return ctx.output.out(JSON.stringify(key));
      ctx.output.out(`Revoked ${key.id} (${key.name}) at ${key.revoked_at}`);
    });
}
