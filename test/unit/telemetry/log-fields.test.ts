import { describe, expect, it } from "vitest";
import { safeLogLine } from "../../../regions/lib/telemetry/log-fields";

describe("the log line allowlist", () => {
  it("keeps allow-listed fields and names the rest as dropped", () => {
    const line = safeLogLine({
      level: "info",
      msg: "request",
      route: "/api/v1/crm/contacts",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      email: "ada@example.com",
      body: { first_name: "Ada" },
    });
    expect(line).toEqual({
      level: "info",
      msg: "request",
      route: "/api/v1/crm/contacts",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      dropped_fields: ["email", "body"],
    });
  });

  it("redacts what an allowed field could still carry: e-mail addresses and URL queries", () => {
    const line = safeLogLine({
      level: "error",
      msg: "request failed",
      error: "TypeError: could not reach http://10.0.0.1/x?email=ada@example.com for bob@example.org",
      ids: ["ada@example.com", "1"],
    });
    expect(JSON.stringify(line)).not.toMatch(/ada@|bob@|example\.(com|org)/);
    expect(line.error).toBe("TypeError: could not reach http://10.0.0.1/x?[query] for [email]");
    expect(line.ids).toEqual(["[email]", "1"]);
  });

  it("drops objects under an allowed name (a nested value is not reviewed field by field)", () => {
    expect(safeLogLine({ level: "info", msg: "m", status: { email: "ada@example.com" } })).toEqual({
      level: "info",
      msg: "m",
      dropped_fields: ["status"],
    });
  });
});
