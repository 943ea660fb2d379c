import { z } from "zod";
import { actorMay, type Permission, scopeFor } from "../../auth/permissions";
import { ApiError } from "../../lib/errors";
import { ContactInput } from "../../schemas/contact";
import { InvoiceInput } from "../../schemas/invoice";
import { LeadInput } from "../../schemas/lead";
import { createContact, getContact, listContacts } from "../contacts";
import type { ServiceContext } from "../context";
import { createInvoice, getInvoice, listInvoices } from "../finance/invoices";
import { createLead, getLead, listLeads } from "../leads";

/**
 * A tool an agent may call. It runs the platform's own services with the caller's context: the
 * caller's tenant (row-level security), role and scopes apply exactly as on the HTTP route that
 * does the same thing (`permission`), so an agent can never do what its user could not.
 */
export interface AgentTool {
  name: string;
  description: string;
  input: z.ZodType;
  permission: Permission;
  /** Writes that always pause the run for a person's approval, whatever the agent says. */
  alwaysRequiresApproval: boolean;
  run(ctx: ServiceContext, input: unknown): Promise<unknown>;
}

const json = (text: string): unknown => JSON.parse(text);
const limit = z.number().int().min(1).max(50).default(10);
const Id = z.strictObject({ id: z.uuid() });

const TOOLS: readonly AgentTool[] = [
  {
    name: "list_contacts",
    description: "List the tenant's contacts, newest first; filter by exact email or by name.",
    input: z.strictObject({
      limit,
      email: z.string().max(320).optional(),
      name: z.string().max(200).optional(),
    }),
    permission: "crm.contacts.read",
    alwaysRequiresApproval: false,
    async run(ctx, input) {
      const q = input as { limit: number; email?: string; name?: string };
      const page = await listContacts(ctx, {
        limit: q.limit,
        includeTotal: false,
        filters: { email: q.email, name: q.name },
      });
      return { items: page.items.map(json), has_more: page.hasMore };
    },
  },
  {
    name: "get_contact",
    description: "Read one contact by id.",
    input: Id,
    permission: "crm.contacts.read",
    alwaysRequiresApproval: false,
    run: async (ctx, input) => json(await getContact(ctx, (input as { id: string }).id)),
  },
  {
    name: "create_contact",
    description: "Create a contact (the same fields as POST /api/v1/crm/contacts).",
    input: ContactInput,
    permission: "crm.contacts.write",
    alwaysRequiresApproval: false,
    run: async (ctx, input) => json((await createContact(ctx, input as ContactInput)).json),
  },
  {
    name: "list_leads",
    description: "List the tenant's leads, newest first.",
    input: z.strictObject({ limit }),
    permission: "crm.leads.read",
    alwaysRequiresApproval: false,
    async run(ctx, input) {
      const page = await listLeads(ctx, {
        limit: (input as { limit: number }).limit,
        includeTotal: false,
        filters: {},
      });
      return { items: page.items.map(json), has_more: page.hasMore };
    },
  },
  {
    name: "get_lead",
    description: "Read one lead by id.",
    input: Id,
    permission: "crm.leads.read",
    alwaysRequiresApproval: false,
    run: async (ctx, input) => json(await getLead(ctx, (input as { id: string }).id)),
  },
  {
    name: "create_lead",
    description: "Create a lead (the same fields as POST /api/v1/crm/leads).",
    input: LeadInput,
    permission: "crm.leads.write",
    alwaysRequiresApproval: false,
    run: async (ctx, input) => json((await createLead(ctx, input as LeadInput)).json),
  },
  {
    name: "list_invoices",
    description:
      "List invoices with their payment status (status, amount_paid, amount_due), newest first; filter by status.",
    input: z.strictObject({
      limit,
      status: z.enum(["draft", "open", "partially_paid", "paid", "void", "uncollectible"]).optional(),
    }),
    permission: "finance.invoices.read",
    alwaysRequiresApproval: false,
    async run(ctx, input) {
      const q = input as { limit: number; status?: "open" };
      const page = await listInvoices(ctx, { limit: q.limit, status: q.status });
      return { items: page.items.map(json), has_more: page.hasMore };
    },
  },
  {
    name: "get_invoice",
    description: "Read one invoice with its lines and payment status.",
    input: Id,
    permission: "finance.invoices.read",
    alwaysRequiresApproval: false,
    run: async (ctx, input) => json(await getInvoice(ctx, (input as { id: string }).id)),
  },
  {
    name: "draft_invoice",
    description:
      "Draft an invoice (never finalized or sent: a person finalizes it). Same fields as POST /api/v1/finance/invoices.",
    input: InvoiceInput,
    permission: "finance.invoices.write",
    alwaysRequiresApproval: true,
    run: async (ctx, input) => json((await createInvoice(ctx, input as InvoiceInput)).json),
  },
  // search_resources: the resources + search service (issue 16) registers its tool here, in the
  // same shape: input {query, filter?, limit}, permission its own read permission, run calling
  // its search service with ctx, so results are the caller's tenant's only.
];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

export const TOOL_NAMES = TOOLS.map((t) => t.name) as [string, ...string[]];

export function toolNamed(name: string): AgentTool | undefined {
  return BY_NAME.get(name);
}

/** The catalogue as GET /api/v1/ai/tools shows it (JSON Schema inputs). */
export function toolCatalogue() {
  return TOOLS.map((t) => ({
    name: t.name,
    description: t.description,
    permission: t.permission,
    always_requires_approval: t.alwaysRequiresApproval,
    input_schema: inputSchemaOf(t),
  }));
}

const schemas = new Map<string, unknown>();
export function inputSchemaOf(tool: AgentTool): unknown {
  let schema = schemas.get(tool.name);
  if (!schema) {
    schema = z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" });
    schemas.set(tool.name, schema);
  }
  return schema;
}

export type ToolOutcome =
  | { ok: true; output: unknown }
  | { ok: false; error: { code: string; message: string; field?: string } };

/**
 * Runs a tool as the caller. Refusals (permission, scope, a bad input, another tenant's id = 404)
 * become the tool's result, which the model sees and can explain; they never widen access.
 */
export async function runTool(
  ctx: ServiceContext,
  tool: AgentTool,
  rawArguments: string,
): Promise<ToolOutcome> {
  if (!actorMay(ctx.actor, tool.permission)) {
    return {
      ok: false,
      error: {
        code: "FORBIDDEN",
        message: `The caller (role ${ctx.actor.role}) may not ${tool.permission} (needs scope ${scopeFor(tool.permission)} too)`,
      },
    };
  }
  let args: unknown;
  try {
    args = JSON.parse(rawArguments || "{}");
  } catch {
    return { ok: false, error: { code: "VALIDATION_ERROR", message: "The tool's arguments are not JSON" } };
  }
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: {
        code: "VALIDATION_ERROR",
        message: issue?.message ?? "Invalid arguments",
        ...(issue?.path.length ? { field: issue.path.join(".") } : {}),
      },
    };
  }
  try {
    return { ok: true, output: await tool.run(ctx, parsed.data) };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      const first = error.details[0];
      return {
        ok: false,
        error: { code: error.code, message: error.message, ...(first?.field ? { field: first.field } : {}) },
      };
    }
    throw error;
  }
}
