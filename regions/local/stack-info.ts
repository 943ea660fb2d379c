import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { stackFile } from "./paths";

/** What a running `npm run dev` publishes for the token command and other tools. */
export const StackInfo = z.object({
  pid: z.number(),
  regionUrls: z.object({ eu: z.url(), lagos: z.url() }),
  gatewayUrls: z.object({ eu: z.url(), lagos: z.url() }),
  upstashUrl: z.url().nullable(),
  /** The local Upstash endpoint's token, for operator tools (npm run ops) that update the directory. */
  upstashToken: z.string().optional(),
  paymentProvidersUrl: z.url().optional(),
  /** The model stand-in agents call (regions/model-standin). */
  modelStandInUrl: z.url().optional(),
  /** The demo tenants' webhook inbox (regions/local/webhook-inbox.ts). */
  webhookInboxUrl: z.url().optional(),
  /** The local mail catcher's inbox (regions/mail-catcher): invitations, resets, sign-in codes. */
  mailInboxUrl: z.url().optional(),
  /** The local OpenID provider the EU demo tenant's SSO connection uses (regions/oidc-idp). */
  oidcIdpUrl: z.url().optional(),
  samlIdpUrl: z.url().optional(),
  samlBridgeUrl: z.url().optional(),
  smsInboxUrl: z.url().optional(),
  /** The OpenAI-wire embedding stand-in (regions/openai-embeddings), sites /eu and /lagos. */
  embeddingsUrl: z.url().optional(),
  /** The trace collector stand-in's viewer (regions/otel-collector): one request's trace by id. */
  traceViewerUrl: z.url().optional(),
  database: z.enum(["pglite", "postgres"]),
  /**
   * Each region's database name on the Postgres server (postgres mode): what an owner connection
   * through the gateway must name, as the gateway connects to the database its client asks for.
   */
  databaseNames: z.object({ eu: z.string(), lagos: z.string() }).optional(),
  /** Where the outbox relays stream events (NATS JetStream), or why they are off. */
  events: z.string().optional(),
});
export type StackInfo = z.infer<typeof StackInfo>;

export function writeStackInfo(dataDir: string, info: StackInfo): void {
  writeFileSync(stackFile(dataDir), JSON.stringify(info, null, 2));
}

export function readStackInfo(dataDir: string): StackInfo | undefined {
  const file = stackFile(dataDir);
  if (!existsSync(file)) return undefined;
  const parsed = StackInfo.safeParse(JSON.parse(readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : undefined;
}
