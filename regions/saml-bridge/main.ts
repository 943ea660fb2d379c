import { z } from "zod";
import { closeOnSignals } from "../lib/node-service";
import { startSamlBridge } from "./server";
import { postgresStore } from "./store";

// The SAML bridge as the region's cluster runs it (regions/k8s: saml-bridge), configured from
// the environment only (SAML_BRIDGE_*; see README.md). Logs are JSON lines on stderr; stdout
// carries one JSON line once it listens.
//   SAML_BRIDGE_DATABASE_URL=postgres://… SAML_BRIDGE_ADMIN_TOKEN=… SAML_BRIDGE_PUBLIC_URL=https://saml.eu.nexus.bac.cloud \
//   SAML_BRIDGE_SIGNING_JWK='{"kty":"RSA",…,"kid":"…"}' npx tsx regions/saml-bridge/main.ts

const FORCED_EXIT_MS = 10_000;

const jwk = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON Web Key" });
      return z.NEVER;
    }
  })
  .pipe(z.looseObject({ kty: z.literal("RSA"), d: z.string(), kid: z.string().min(1) }));

const configSchema = z.object({
  SAML_BRIDGE_DATABASE_URL: z.string().startsWith("postgres", "must be a postgres:// URL"),
  SAML_BRIDGE_ADMIN_TOKEN: z.string().min(32, "at least 32 characters"),
  SAML_BRIDGE_PUBLIC_URL: z.url().refine((u) => u.startsWith("https://"), "must be https"),
  // Every replica signs the bridge's ID tokens with this key (a Secret); its public half is /jwks.
  SAML_BRIDGE_SIGNING_JWK: jwk,
  SAML_BRIDGE_PORT: z.coerce.number().int().min(1).max(65_535).default(8080),
  SAML_BRIDGE_HOST: z.string().min(1).default("0.0.0.0"),
});

function logLine(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "info", service: "saml-bridge", ...line })}\n`,
  );
}

const parsed = configSchema.safeParse(process.env);
if (!parsed.success) {
  process.stderr.write(`${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const config = parsed.data;
const store = await postgresStore(config.SAML_BRIDGE_DATABASE_URL, (error) =>
  logLine({ level: "warn", msg: "idle database connection lost", error: error.message }),
);
const bridge = await startSamlBridge({
  port: config.SAML_BRIDGE_PORT,
  host: config.SAML_BRIDGE_HOST,
  publicUrl: config.SAML_BRIDGE_PUBLIC_URL,
  adminToken: config.SAML_BRIDGE_ADMIN_TOKEN,
  store,
  signingJwk: config.SAML_BRIDGE_SIGNING_JWK,
  log: logLine,
});
process.stdout.write(
  `${JSON.stringify({ event: "listening", service: "saml-bridge", port: bridge.port })}\n`,
);
closeOnSignals({
  close: async () => {
    await bridge.close();
    await store.close();
  },
  log: logLine,
  forcedExitMs: FORCED_EXIT_MS,
});
