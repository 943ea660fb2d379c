import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { stackFile } from "./paths";

/** What a running `npm run dev` publishes for the token command and other tools. */
export const StackInfo = z.object({
  pid: z.number(),
  regionUrls: z.object({ eu: z.url(), lagos: z.url() }),
  gatewayUrls: z.object({ eu: z.url(), lagos: z.url() }),
  upstashUrl: z.url().nullable(),
  paymentProvidersUrl: z.url().optional(),
  /** The demo tenants' webhook inbox (regions/local/webhook-inbox.ts). */
  webhookInboxUrl: z.url().optional(),
  database: z.enum(["pglite", "postgres"]),
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
