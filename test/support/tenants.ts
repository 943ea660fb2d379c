import type { DemoTenant } from "../../db/seed/demo";

/** EU tenants with fixed ids: a and b for isolation tests, c for IAM tests that change members. */
export const TEST_TENANTS = {
  a: {
    tenantId: "aaaaaaaa-0000-4000-8000-000000000001",
    ownerId: "aaaaaaaa-0000-4000-8000-0000000000a1",
    ownerEmail: "owner@tenant-a.example",
    ownerName: "Owner A",
    name: "Tenant A",
    slug: "tenant-a",
    country: "DE",
    currency: "EUR",
  },
  b: {
    tenantId: "bbbbbbbb-0000-4000-8000-000000000002",
    ownerId: "bbbbbbbb-0000-4000-8000-0000000000b2",
    ownerEmail: "owner@tenant-b.example",
    ownerName: "Owner B",
    name: "Tenant B",
    slug: "tenant-b",
    country: "FR",
    currency: "EUR",
  },
  c: {
    tenantId: "cccccccc-0000-4000-8000-000000000003",
    ownerId: "cccccccc-0000-4000-8000-0000000000c3",
    ownerEmail: "owner@tenant-c.example",
    ownerName: "Owner C",
    name: "Tenant C",
    slug: "tenant-c",
    country: "NL",
    currency: "EUR",
  },
} as const satisfies Record<string, DemoTenant>;
