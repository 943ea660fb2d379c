import { afterEach, describe, expect, it, vi } from "vitest";
import { logError, redactForLog } from "../../workers/api/lib/log-error";

afterEach(() => vi.restoreAllMocks());

describe("error log lines carry no personal data", () => {
  it("drops e-mail addresses and URL queries from the error and its stack", () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => lines.push(line));
    logError(
      "request failed",
      "r1",
      new Error("no contact ada.l@example.com at https://x.test/a?email=b@c.de&x=1#f"),
    );
    const [line = ""] = lines;
    expect(line).not.toContain("example.com");
    expect(line).not.toContain("c.de");
    expect(JSON.parse(line)).toMatchObject({
      request_id: "r1",
      error: "Error: no contact [email] at https://x.test/a?[query]#f",
    });
  });

  it("keeps what explains the failure", () => {
    expect(redactForLog("TypeError: fetch failed (http://127.0.0.1:4401/sql)")).toBe(
      "TypeError: fetch failed (http://127.0.0.1:4401/sql)",
    );
  });
});
