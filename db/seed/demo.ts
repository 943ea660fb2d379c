import type { RegionId } from "../../regions/registry";
import type { RateLimitOverrides } from "../../workers/api/limits/policies";

/**
 * The demo business of each region, with fixed ids so a newcomer can mint a token for it
 * (`npm run token`) without looking anything up.
 */
/**
 * The password of every seeded demo and test user (local development only: `npm run dev` prints
 * it). A real tenant's owner chooses a password at activation.
 */
export const DEMO_PASSWORD = "nexus-demo-password";

/** Seeded besides the owner: one user per other system role, `<role>@<slug>.example`. */
export function demoRoleUser(tenant: DemoTenant, role: string, index: number) {
  return {
    id: `${tenant.tenantId.slice(0, -4)}f${String(index).padStart(3, "0")}`,
    email: `${role.toLowerCase()}@${tenant.slug}.example`,
    name: `${role} ${tenant.name}`,
  };
}

export interface DemoTenant {
  tenantId: string;
  ownerId: string;
  ownerEmail: string;
  ownerName: string;
  name: string;
  slug: string;
  country: string;
  currency: string;
  /**
   * The industry preset (`tenants.industry`) whose pipeline and custom fields the tenant gets;
   * null keeps free-form custom fields and no pipeline.
   */
  industry: string | null;
  /** Plan overrides of the tier's rate limits (default: none). */
  rateLimits?: RateLimitOverrides;
}

export const DEMO_TENANTS: Readonly<Record<RegionId, DemoTenant>> = {
  eu: {
    tenantId: "0e0e0e0e-0000-4000-8000-000000000001",
    ownerId: "0e0e0e0e-0000-4000-8000-0000000000a1",
    ownerEmail: "owner@demo-eu.example",
    ownerName: "Greta Demo",
    name: "Demo GmbH",
    slug: "demo-eu",
    country: "DE",
    currency: "EUR",
    industry: "professional-services",
  },
  lagos: {
    tenantId: "0a9a9a9a-0000-4000-8000-000000000002",
    ownerId: "0a9a9a9a-0000-4000-8000-0000000000a2",
    ownerEmail: "owner@demo-lagos.example",
    ownerName: "Ada Demo",
    name: "Demo Ventures Ltd",
    slug: "demo-lagos",
    country: "NG",
    currency: "NGN",
    industry: "retail",
  },
};
