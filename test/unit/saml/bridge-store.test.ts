import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BridgeStore, postgresStore } from "../../../regions/saml-bridge/store";
import { dropDatabase, ownerUrl, recreateDatabase } from "../../support/postgres";

// The bridge's store on the real Postgres, as two replicas share it: what one takes, the other
// cannot take again; an assertion id claimed by one is a replay at the other.
const database = `${process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test_worker"}_saml_store`;
let first: BridgeStore;
let second: BridgeStore;

beforeAll(async () => {
  await recreateDatabase(database);
  first = await postgresStore(ownerUrl(database));
  // The schema is created again by the second replica: harmless.
  second = await postgresStore(ownerUrl(database));
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await dropDatabase(database);
});

describe("the SAML bridge's Postgres store", () => {
  it("hands an authorization code out once, across replicas", async () => {
    await first.put("code", "c1", { claims: { sub: "x" } }, 60_000);
    const results = await Promise.all([first.take("code", "c1"), second.take("code", "c1")]);
    expect(results.filter(Boolean)).toEqual([{ claims: { sub: "x" } }]);
    expect(await first.take("code", "c1")).toBeUndefined();
  });

  it("claims an assertion id once, across replicas, until it expires", async () => {
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? first : second).claimOnce("assertion", "conn:_a1", 60_000),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await second.claimOnce("assertion", "conn:_a2", 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Expired: the id may be claimed again (the assertion's own NotOnOrAfter refuses it by then).
    expect(await first.claimOnce("assertion", "conn:_a2", 60_000)).toBe(true);
  });

  it("keeps connections without expiry and forgets what expired", async () => {
    await first.put("connection", "id-1", { idpEntityId: "https://idp" });
    expect(await second.get("connection", "id-1")).toEqual({ idpEntityId: "https://idp" });
    await first.put("flow", "f1", { state: "s" }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await second.get("flow", "f1")).toBeUndefined();
    expect(await second.take("flow", "f1")).toBeUndefined();
    expect(await second.delete("connection", "id-1")).toBe(true);
    expect(await first.get("connection", "id-1")).toBeUndefined();
  });
});
