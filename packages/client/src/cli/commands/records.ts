import type { Command } from "commander";
import { commandContext, type GlobalOptions } from "../context";
import { CliError, fields, table } from "../output";

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name}: a whole number of at least 1`, 2);
  return n;
};

/** `key=value` custom fields; values that read as JSON (numbers, booleans, null) are kept typed. */
function customFields(pairs: string[]): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new CliError(`--field ${pair}: expected key=value`, 2);
    const raw = pair.slice(eq + 1);
    let value: string | number | boolean | null = raw;
    if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(raw)) value = JSON.parse(raw) as number | boolean | null;
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

/** Takes up to `limit` items of a list (or all with --all). */
async function take<T>(items: AsyncIterable<T>, limit: number | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (limit !== undefined && out.length >= limit) break;
  }
  return out;
}

export function registerContacts(program: Command, globals: () => GlobalOptions): void {
  const contacts = program.command("contacts").description("The tenant's contacts (CRM)");
  contacts
    .command("list")
    .description("List contacts, newest first")
    .option("--limit <n>", "at most this many (default 20)", positiveInt("--limit"))
    .option("--all", "every contact (follows the pages)")
    .option("--email <email>", "only this email")
    .option("--name <text>", "name contains")
    .option("--tag <tag>", "only contacts with this tag")
    .action(
      async (options: { limit?: number; all?: boolean; email?: string; name?: string; tag?: string }) => {
        const ctx = commandContext(globals());
        const nexus = ctx.client();
        const limit = options.all ? undefined : (options.limit ?? 20);
        const query = {
          limit: Math.min(limit ?? 200, 200),
          ...(options.email ? { email: options.email } : {}),
          ...(options.name ? { name: options.name } : {}),
          ...(options.tag ? { tag: options.tag } : {}),
        };
        const rows = await take(nexus.list("/api/v1/crm/contacts", query), limit);
        if (ctx.output.json) return ctx.output.out(JSON.stringify(rows));
        ctx.output.out(
          table(
            rows.map((c) => ({
              id: c.id,
              name: [c.first_name, c.last_name].filter(Boolean).join(" "),
              email: c.email,
              company: c.company,
              updated: c.updated_at.slice(0, 19).replace("T", " "),
            })),
            ["id", "name", "email", "company", "updated"],
          ),
        );
      },
    );
  contacts
    .command("create")
    .description("Create a contact")
    .requiredOption("--first-name <name>", "first name (required)")
    .option("--last-name <name>")
    .option("--email <email>")
    .option("--phone <phone>")
    .option("--company <company>")
    .option("--job-title <title>")
    .option("--tag <tag>", "a tag (repeat for more)", collect)
    .option(
      "--field <key=value>",
      "a custom field (repeat for more), e.g. --field client_status=prospect",
      collect,
    )
    .action(
      async (options: {
        firstName: string;
        lastName?: string;
        email?: string;
        phone?: string;
        company?: string;
        jobTitle?: string;
        tag?: string[];
        field?: string[];
      }) => {
        const ctx = commandContext(globals());
        const nexus = ctx.client();
        const contact = await nexus.data(
          nexus.api.POST("/api/v1/crm/contacts", {
            body: {
              first_name: options.firstName,
              ...(options.lastName ? { last_name: options.lastName } : {}),
              ...(options.email ? { email: options.email } : {}),
              ...(options.phone ? { phone: options.phone } : {}),
              ...(options.company ? { company: options.company } : {}),
              ...(options.jobTitle ? { job_title: options.jobTitle } : {}),
              ...(options.tag ? { tags: options.tag } : {}),
              ...(options.field ? { custom_fields: customFields(options.field) } : {}),
            },
          }),
        );
        if (ctx.output.json) return ctx.output.out(JSON.stringify(contact));
        ctx.output.out(
          `Created contact ${contact.id}\n${fields({ name: [contact.first_name, contact.last_name].filter(Boolean).join(" "), email: contact.email, company: contact.company })}`,
        );
      },
    );
}

/** `description:quantity:unit_price[:tax_rate]`, e.g. `"Inverter 5 kVA:1:1250000.00:7.5"`. */
function invoiceLine(spec: string) {
  const parts = spec.split(":");
  if (parts.length < 3 || parts.length > 4 || !parts[0]) {
    throw new CliError(`--line ${spec}: expected description:quantity:unit_price[:tax_rate]`, 2);
  }
  const [description, quantity, unitPrice, taxRate] = parts as [string, string, string, string | undefined];
  if (!Number.isFinite(Number(quantity)))
    throw new CliError(`--line ${spec}: the quantity is not a number`, 2);
  return {
    description,
    quantity: Number(quantity),
    unit_price: unitPrice,
    ...(taxRate ? { tax_rate: taxRate } : {}),
  };
}

export function registerInvoices(program: Command, globals: () => GlobalOptions): void {
  const invoices = program.command("invoices").description("The tenant's invoices (finance)");
  invoices
    .command("list")
    .description("List invoices, newest first")
    .option("--limit <n>", "at most this many (default 20)", positiveInt("--limit"))
    .option("--all", "every invoice (follows the pages)")
    .option("--status <status>", "draft, open, partially_paid, paid, void, uncollectible")
    .action(async (options: { limit?: number; all?: boolean; status?: string }) => {
      const ctx = commandContext(globals());
      const nexus = ctx.client();
      const limit = options.all ? undefined : (options.limit ?? 20);
      const query = {
        limit: Math.min(limit ?? 200, 200),
        ...(options.status ? { status: options.status as "draft" } : {}),
      };
      const rows = await take(nexus.list("/api/v1/finance/invoices", query), limit);
      if (ctx.output.json) return ctx.output.out(JSON.stringify(rows));
      ctx.output.out(
        table(
          rows.map((i) => ({
            id: i.id,
            number: i.number ?? "(draft)",
            status: i.status,
            customer: i.customer.name,
            total: `${i.total} ${i.currency}`,
            due: i.amount_due,
            due_date: i.due_date,
          })),
          ["id", "number", "status", "customer", "total", "due", "due_date"],
        ),
      );
    });
  invoices
    .command("create")
    .description("Create a draft invoice")
    .option("--customer <name>", "the customer's name (with --customer-email)")
    .option("--customer-email <email>")
    .option("--contact <id>", "bill one of the tenant's contacts instead (their name and email)")
    .requiredOption("--currency <code>", "ISO 4217 (EUR, NGN, …)")
    .requiredOption("--due-date <YYYY-MM-DD>")
    .requiredOption(
      "--line <description:quantity:unit_price[:tax_rate]>",
      'a line (repeat for more), e.g. --line "Consulting:2:150.00:19"',
      collect,
    )
    .option("--notes <text>")
    .action(
      async (options: {
        customer?: string;
        customerEmail?: string;
        contact?: string;
        currency: string;
        dueDate: string;
        line: string[];
        notes?: string;
      }) => {
        const ctx = commandContext(globals());
        if (!options.contact && !(options.customer && options.customerEmail)) {
          throw new CliError("give --contact <id>, or --customer <name> with --customer-email <email>", 2);
        }
        const nexus = ctx.client();
        const invoice = await nexus.data(
          nexus.api.POST("/api/v1/finance/invoices", {
            body: {
              currency: options.currency,
              due_date: options.dueDate,
              customer: {
                name: options.customer,
                ...(options.customerEmail ? { email: options.customerEmail } : {}),
              },
              lines: options.line.map(invoiceLine),
              ...(options.notes ? { notes: options.notes } : {}),
            },
          }),
        );
        if (ctx.output.json) return ctx.output.out(JSON.stringify(invoice));
        ctx.output.out(
          `Created draft invoice ${invoice.id}\n${fields({ customer: invoice.customer.name, total: `${invoice.total} ${invoice.currency}`, due_date: invoice.due_date })}\nFinalize it with: nexus invoices finalize ${invoice.id}`,
        );
      },
    );
  invoices
    .command("finalize <id>")
    .description("Finalize a draft: it takes its number and can be paid")
    .action(async (id: string) => {
      const ctx = commandContext(globals());
      const nexus = ctx.client();
      const invoice = await nexus.data(
        nexus.api.POST("/api/v1/finance/invoices/{id}/finalize", { params: { path: { id } } }),
      );
      if (ctx.output.json) return ctx.output.out(JSON.stringify(invoice));
      ctx.output.out(
        `Finalized ${invoice.number}\n${fields({ id: invoice.id, status: invoice.status, total: `${invoice.total} ${invoice.currency}`, due_date: invoice.due_date })}`,
      );
    });
}
