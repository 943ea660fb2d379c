import type { DemoTenant } from "../../db/seed/demo";
import type { RateLimitOverrides } from "../../workers/api/limits/policies";

/**
 * The suite calls these tenants thousands of times an hour as their owners: far above the real
 * limits, which test/worker/rate-limits.test.ts checks on tenants of its own.
 */
const SUITE_LIMITS: RateLimitOverrides = {
  tenant: { limit: 1_000_000, window_seconds: 60 },
  user: { limit: 1_000_000, window_seconds: 3600 },
  ip: { limit: 1_000_000, window_seconds: 3600 },
  burst: { limit: 1_000_000, window_seconds: 60 },
};

/**
 * EU tenants with fixed ids: a and b for isolation tests, c for IAM tests that change members, d
 * for leads and opportunities. a and c have no industry (free-form custom fields, no pipeline);
 * b is a restaurant (no contact field is required, so contact tests need no custom fields; its
 * contact fields are text, date and boolean), d a professional-services firm (required enum
 * fields on contacts and leads, number and date on leads, a six-stage pipeline).
 */
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
    industry: null,
    rateLimits: SUITE_LIMITS,
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
    industry: "restaurant",
    rateLimits: SUITE_LIMITS,
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
    industry: null,
    rateLimits: SUITE_LIMITS,
  },
  d: {
    tenantId: "dddddddd-0000-4000-8000-000000000004",
    ownerId: "dddddddd-0000-4000-8000-0000000000d4",
    ownerEmail: "owner@tenant-d.example",
    ownerName: "Owner D",
    name: "Tenant D",
    slug: "tenant-d",
    country: "BE",
    currency: "EUR",
    industry: "professional-services",
    rateLimits: SUITE_LIMITS,
  },
} as const satisfies Record<string, DemoTenant>;
