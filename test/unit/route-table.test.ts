import { describe, expect, it } from "vitest";
import { RouteTable } from "../../workers/api/lib/route-table";

describe("RouteTable", () => {
  const table = new RouteTable();
  table.add("get", "/api/v1/crm/contacts");
  table.add("post", "/api/v1/crm/contacts");
  table.add("delete", "/api/v1/crm/contacts/{id}");

  it("lists the methods of a matching path, with HEAD for GET", () => {
    expect(table.allowed("/api/v1/crm/contacts")).toEqual(["GET", "HEAD", "POST"]);
    expect(table.allowed("/api/v1/crm/contacts/")).toEqual(["GET", "HEAD", "POST"]);
    expect(table.allowed("/api/v1/crm/contacts/abc")).toEqual(["DELETE"]);
  });

  it("matches nothing else", () => {
    expect(table.allowed("/api/v1/crm/contacts/abc/def")).toEqual([]);
    expect(table.allowed("/api/v1/crm")).toEqual([]);
  });
});
