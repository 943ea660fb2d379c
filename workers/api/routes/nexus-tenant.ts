import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { publishAfterCommit } from "../events/after-commit";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonResponse, successOf } from "../schemas/common";
import { TenantSettings, TenantSettingsPatch } from "../schemas/tenant-settings";
import { getTenantSettings, updateTenantSettings } from "../services/tenant-settings";
import { successBody } from "./iam-common";

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
const common = { tags: ["nexus"], security };

const professionalServicesField = {
  key: "client_status",
  label: "Client status",
  type: "enum",
  required: true,
  options: ["prospect", "active", "former", "paused"],
};

/** Documented examples of the PATCH body: each list given is the complete new list. */
const PATCH_EXAMPLES = {
  rename: { summary: "Rename the tenant", value: { name: "Okafor & Partners LLP" } },
  fields: {
    summary: "Contact fields: add an option to an enum, make a field required, drop the others",
    value: {
      custom_fields: {
        contact: [
          professionalServicesField,
          {
            key: "engagement_partner",
            label: "Engagement partner",
            type: "text",
            required: true,
            options: [],
          },
        ],
      },
    },
  },
  pipeline: {
    summary: "Pipeline: rename a stage and add one before contract-sent (a stage left out would be removed)",
    value: {
      pipeline: [
        { key: "discovery", name: "Discovery call", probability: 10, terminal: null },
        { key: "proposal", name: "Proposal", probability: 40, terminal: null },
        { key: "negotiation", name: "Negotiation", probability: 70, terminal: null },
        { key: "legal-review", name: "Legal review", probability: 75, terminal: null },
        { key: "contract-sent", name: "Contract sent", probability: 85, terminal: null },
        { key: "won", name: "Won", probability: 100, terminal: "won" },
        { key: "lost", name: "Lost", probability: 0, terminal: "lost" },
      ],
    },
  },
};

/** The caller's tenant: its settings under `/api/v1/nexus/tenant`. */
export function registerTenantSettingsRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path,
      summary: "Get the tenant's settings",
      description:
        "The caller's tenant: name, slug, region, country, industry preset, default currency, the typed custom " +
        "fields of contacts and leads (by key: what a write must send, which are required, an enum's options) and " +
        "the opportunity pipeline in order. Every system role but Guest may read them (`tenant.settings.read`); " +
        "a client needs the `crm:read` scope (or `crm:write`), as CRM writes are what these settings govern.",
      ...guardedBy("tenant.settings.read"),
      responses: {
        200: jsonResponse(successOf(TenantSettings), "The tenant's settings"),
        ...errorResponses(401, 403, 429, 503),
      },
    }),
    async (c) => c.json(successBody(await getTenantSettings(serviceContext(c)), c.get("requestId")), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "patch",
      path,
      summary: "Change the tenant's settings",
      description: [
        "Owner and Admin only (`tenant.settings.write`; a client needs the `iam:write` scope). Each part is " +
          "optional; a part given replaces what is there:",
        "",
        "- `name`: the tenant's display name (its slug does not change).",
        "- `custom_fields.contact` / `custom_fields.lead`: the **complete** new list of that entity's " +
          "definitions. A new key is added; a listed key takes the label, type, `required` and options sent (a " +
          "key cannot be renamed); a current key left out is removed, and its values are removed from the " +
          "tenant's records with it (their `updated_at` moves; no per-record events: the settings event names " +
          "the removed keys). Records are not rewritten for a changed definition: each write of a record " +
          "from then on is checked against the new one (a field made required must be sent).",
        "- `pipeline`: the **complete** new list of stages, in order. A new key adds a stage; a listed key takes " +
          "the name, probability and position sent; a key left out is removed. Exactly one `won` and one " +
          "`lost` stage, after every open stage (won 100, lost 0); keys and names unique. A stage's `terminal` " +
          "cannot change (400). Removing a stage that opportunities are in is a 409 naming it and how many.",
        "",
        "To change one field or stage, send the list GET answered with that one changed. Everything commits in " +
          "one transaction with one `tenant.settings_updated` event (data: `settings` after the change and " +
          "`changes`, the keys added, changed and removed) and one audit entry (`tenant.settings_updated`). A " +
          "PATCH that changes nothing writes nothing and emits nothing. Two PATCHes at once: the one that lost the " +
          "race answers 409 and changes nothing. A tenant without an industry preset may only be renamed (409 for " +
          "fields or pipeline). Changes apply to the very next request.",
      ].join("\n"),
      ...guardedBy("tenant.settings.write"),
      request: {
        body: {
          content: { "application/json": { schema: TenantSettingsPatch, examples: PATCH_EXAMPLES } },
          required: true,
        },
      },
      responses: {
        200: jsonResponse(successOf(TenantSettings), "The settings after the change"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const settings = await updateTenantSettings(serviceContext(c), requestInfo(c), c.req.valid("json"));
      publishAfterCommit(c);
      return c.json(successBody(settings, c.get("requestId")), 200);
    },
  );
}
