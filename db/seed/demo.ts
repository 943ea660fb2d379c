import type { RegionId } from "../../regions/registry";

/**
 * The demo business of each region, with fixed ids so a newcomer can mint a token for it
 * (`npm run token`) without looking anything up.
 */
export interface DemoTenant {
  tenantId: string;
  ownerId: string;
  ownerEmail: string;
  ownerName: string;
  name: string;
  slug: string;
  country: string;
  currency: string;
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
  },
};
