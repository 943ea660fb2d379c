import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../workers/api/lib/cursor";
import { ApiError } from "../../workers/api/lib/errors";

describe("cursors", () => {
  it("round-trips a key as an opaque url-safe string", () => {
    const key = { t: "2026-11-22T10:00:00.123Z", id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" };
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(key);
  });

  it.each([
    "",
    "!!!",
    "bm90LWpzb24",
    encodeCursor({ t: "yesterday", id: "3f1c2b7e-8a4d-4c1e-9f2a-5b6c7d8e9f01" }),
    encodeCursor({ t: "2026-11-22T10:00:00Z", id: "1; drop table" }),
    "a".repeat(300),
  ])("rejects %s with a VALIDATION_ERROR on field cursor", (cursor) => {
    try {
      decodeCursor(cursor);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe("VALIDATION_ERROR");
      expect((error as ApiError).details[0]?.field).toBe("cursor");
    }
  });
});
