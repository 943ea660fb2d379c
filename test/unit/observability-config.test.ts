import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { OFFLINE_ENV } from "../../regions/local/wrangler-dev";

const configPath = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));

describe("Workers observability records no URL (residency)", () => {
  // The EU Worker sees Lagos tenants' requests before forwarding them, so no environment may.
  it.each(["eu", "lagos", "local-eu", "local-lagos"])("%s: no invocation logs, no traces", (env) => {
    const { observability } = unstable_readConfig({ config: configPath, env });
    expect(observability?.logs?.invocation_logs).toBe(false);
    expect(observability?.traces?.enabled).toBe(false);
    expect(observability?.redact_query_string).toBe(true);
  });

  it("wrangler dev keeps no local trace store", () => {
    expect(OFFLINE_ENV.X_LOCAL_OBSERVABILITY).toBe("false");
  });
});
