import type { Command } from "commander";
import type { PlatformEvent } from "../../realtime";
import { generateWebhookSecret, signWebhook } from "../../webhooks";
import { commandContext, type GlobalOptions } from "../context";
import { CliError } from "../output";

const list = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** Every event type by noun (`contact.`, `lead.`, …): what "all events" means for a subscription. */
async function allEventTypes(
  nexus: ReturnType<ReturnType<typeof commandContext>["client"]>,
): Promise<string[]> {
  const types = (await nexus.data(nexus.api.GET("/api/v1/events/types", {}))) as { type: string }[];
  return [...new Set(types.map((t) => `${t.type.split(".")[0]}.`))];
}

/**
 * Opens the realtime socket, subscribes, and calls `handle` for each event until Ctrl-C or
 * `count` events. Reconnects (and fills the gap from the event log) on its own.
 */
async function streamEvents(
  ctx: ReturnType<typeof commandContext>,
  eventTypes: string[] | undefined,
  count: number | undefined,
  handle: (event: PlatformEvent) => Promise<void>,
  ready: (types: string[]) => void,
): Promise<void> {
  const nexus = ctx.client();
  const types = eventTypes ?? (await allEventTypes(nexus));
  const realtime = nexus.realtime();
  realtime.on("state", (state) => {
    if (state === "reconnecting") ctx.output.err("connection lost, reconnecting…");
  });
  realtime.on("error", (error) => ctx.output.err(`realtime: ${error.message}`));
  const subscribed = new Promise<void>((resolve) => {
    realtime.on("frame", (frame) => {
      if (frame.type === "subscribed") resolve();
      if (frame.type === "error") ctx.output.err(`realtime: ${frame.code}: ${frame.message}`);
    });
  });
  await realtime.connect();
  realtime.subscribe(types);
  await subscribed;
  ready(types);
  const stop = () => realtime.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let seen = 0;
  try {
    for await (const event of realtime.events()) {
      await handle(event);
      if (count !== undefined && ++seen >= count) break;
    }
  } finally {
    realtime.close();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

const countOption = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError("--count: a whole number of at least 1", 2);
  return n;
};

export function registerEvents(program: Command, globals: () => GlobalOptions): void {
  const events = program.command("events").description("The tenant's events");
  events
    .command("tail")
    .description("Print the tenant's events as they happen (realtime socket; Ctrl-C to stop)")
    .option(
      "--type <types>",
      "event types or prefixes, comma-separated (default: all), e.g. contact.,invoice.finalized",
      list,
    )
    .option("--count <n>", "stop after this many events", countOption)
    .action(async (options: { type?: string[]; count?: number }) => {
      const ctx = commandContext(globals());
      await streamEvents(
        ctx,
        options.type,
        options.count,
        async (event) => {
          ctx.output.out(
            ctx.output.json
              ? JSON.stringify(event)
              : `${event.timestamp}  ${event.event_type.padEnd(28)} ${event.event_id}  ${summary(event)}`,
          );
        },
        (types) => ctx.output.err(`Listening for ${types.join(", ")} (Ctrl-C to stop)`),
      );
    });
}

function summary(event: PlatformEvent): string {
  const data = event.data as Record<string, unknown>;
  const id = data.id ?? data.contact_id ?? data.invoice_id;
  const label = data.email ?? data.number ?? data.name ?? data.first_name;
  return [id, label].filter((v) => typeof v === "string").join(" ");
}

export function registerWebhooks(program: Command, globals: () => GlobalOptions): void {
  const webhooks = program
    .command("webhooks")
    .description("Webhooks: forward the tenant's events to a local server");
  webhooks
    .command("listen")
    .description(
      "Receive the tenant's events live and POST each, signed like a real delivery, to a local URL (like `stripe listen`)",
    )
    .requiredOption("--forward-to <url>", "where to POST each event, e.g. http://127.0.0.1:3000/hook")
    .option("--events <types>", "event types or prefixes, comma-separated (default: all)", list)
    .option("--secret <whsec_…>", "sign with this secret (default: a new one, printed at start)")
    .option("--count <n>", "stop after this many events", countOption)
    .addHelpText(
      "after",
      "\nEach POST carries the event as its JSON body and the same signature headers as a real delivery\n" +
        "(webhook-id, webhook-timestamp, webhook-signature, X-Webhook-Signature), keyed by the printed secret:\n" +
        "verify them with verifyWebhook() from @nexus-edge/client or the standardwebhooks library.",
    )
    .action(async (options: { forwardTo: string; events?: string[]; secret?: string; count?: number }) => {
      const ctx = commandContext(globals());
      let target: URL;
      try {
        target = new URL(options.forwardTo);
      } catch {
        throw new CliError(`--forward-to: not a URL: ${options.forwardTo}`, 2);
      }
      if (target.protocol !== "http:" && target.protocol !== "https:")
        throw new CliError("--forward-to: http or https", 2);
      const secret = options.secret ?? generateWebhookSecret();
      if (!secret.startsWith("whsec_"))
        throw new CliError("--secret: a webhook secret starts with whsec_", 2);
      await streamEvents(
        ctx,
        options.events,
        options.count,
        async (event) => {
          const body = JSON.stringify(event);
          const headers = await signWebhook(secret, { id: event.event_id, body });
          let outcome: string;
          let status: number | undefined;
          try {
            const response = await fetch(target, {
              method: "POST",
              headers: {
                "Content-Type": "application/json",
                "User-Agent": "nexus-cli webhooks listen",
                ...headers,
              },
              body,
              signal: AbortSignal.timeout(30_000),
            });
            status = response.status;
            await response.body?.cancel();
            outcome = `[${response.status}]`;
          } catch (error) {
            const cause = (error as { cause?: { code?: string; message?: string } }).cause;
            outcome = `[failed: ${cause?.code ?? cause?.message ?? (error as Error).message}]`;
          }
          if (ctx.output.json) {
            ctx.output.out(
              JSON.stringify({
                event_id: event.event_id,
                event_type: event.event_type,
                status: status ?? null,
              }),
            );
          } else {
            ctx.output.out(`${event.timestamp}  --> ${event.event_type} [${event.event_id}]`);
            ctx.output.out(`${event.timestamp}  <-- ${outcome} POST ${target.href}`);
          }
        },
        (types) => {
          ctx.output.err(`Ready! Your webhook signing secret is ${secret}`);
          ctx.output.err(`Forwarding ${types.join(", ")} to ${target.href} (Ctrl-C to stop)`);
        },
      );
    });
}
