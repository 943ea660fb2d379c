import { describe, expect, it } from "vitest";
import {
  hasTraceComment,
  traceIdOfComment,
  withTraceComment,
} from "../../../regions/lib/telemetry/sqlcommenter";
import { preparedName } from "../../../regions/sql-gateway/backends/prepared-statements";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("sqlcommenter comments", () => {
  it("appends the traceparent after the statement, once, as the spec writes it", () => {
    const text = withTraceComment("select 1;", PARENT);
    expect(text).toBe(`select 1 /*traceparent='${PARENT}'*/`);
    expect(withTraceComment(text, PARENT)).toBe(text);
    expect(hasTraceComment(text)).toBe(true);
    expect(traceIdOfComment(text)).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("leaves a statement alone for a value that is not a traceparent (nothing can be injected)", () => {
    expect(withTraceComment("select 1", "00-x'*/ drop table t; /*")).toBe("select 1");
    expect(hasTraceComment("select '/*traceparent=1*/'")).toBe(false);
  });

  it("keeps commented statements unnamed at the gateway, so they never fill its prepared statements", () => {
    const client = {} as Parameters<typeof preparedName>[0];
    expect(preparedName(client, "select $1::int", true)).toMatch(/^nx_[0-9a-f]{24}$/);
    expect(preparedName(client, withTraceComment("select $1::int", PARENT), true)).toBeUndefined();
  });
});
