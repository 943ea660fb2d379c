import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import type { JWK } from "jose";
import { inject } from "vitest";
import type { RegionId } from "../../regions/registry";
import { buildApp } from "../../workers/api/app";
import { signAccessToken } from "../../workers/api/auth/sign-access-token";
import { TEST_TENANTS } from "../support/tenants";

export const BASE = "http://127.0.0.1:8787";

import { TEST_REGION_URLS as REGION_URLS } from "../support/regions";

/** Each region's current private key, and eu's previous one (still published: mid-rotation). */
export type TestSigningKeys = Record<RegionId, JWK> & { euPrevious: JWK };

export const signingKeys = () => JSON.parse(inject("signingKeys")) as TestSigningKeys;

export interface TokenOptions {
  tenant?: keyof typeof TEST_TENANTS;
  /** Any tenant id (overrides `tenant`; `userId` should then be given too). */
  tenantId?: string;
  role?: string;
  /** The acting user (default: the tenant's owner). */
  userId?: string;
  /** A custom role's `perms` claim, space-separated. */
  permissions?: string;
  scope?: string;
  region?: RegionId;
  ttlSeconds?: number;
  /** Sign with this private key instead of the region's current one (e.g. `signingKeys().euPrevious`). */
  signingKey?: JWK;
}

export function tokenFor(options: TokenOptions = {}): Promise<string> {
  const tenant = TEST_TENANTS[options.tenant ?? "a"];
  const region = options.region ?? "eu";
  return signAccessToken({
    signingKey: options.signingKey ?? signingKeys()[region],
    issuer: REGION_URLS[region],
    audience: "nexus-api",
    region,
    tenantId: options.tenantId ?? tenant.tenantId,
    userId: options.userId ?? tenant.ownerId,
    role: options.role ?? "Owner",
    ...(options.permissions === undefined ? {} : { permissions: options.permissions }),
    scope:
      options.scope ??
      "crm:read crm:write finance:read finance:write iam:read iam:write realtime:read realtime:write webhooks:read webhooks:write ai:read ai:write",
    ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
  });
}

export type CallInit = RequestInit & { token?: string | null; json?: unknown };

/** A request to the Worker: the default token (tenant a's owner) unless `token` says otherwise. */
async function requestFor(path: string, init: CallInit): Promise<Request> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? await tokenFor() : init.token;
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  return new Request(`${BASE}${path}`, { ...init, headers, body: body ?? null });
}

/** Calls the Worker under test through its real fetch handler. */
export async function call(path: string, init: CallInit = {}): Promise<Response> {
  return exports.default.fetch(await requestFor(path, init));
}

/** The same Worker with some bindings changed: another deployment of the region. */
export async function callWith(
  overrides: Partial<Env>,
  path: string,
  init: CallInit = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await buildApp().fetch(await requestFor(path, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface Envelope<T = unknown> {
  status: "success" | "error";
  data: T;
  meta?: { limit: number; cursor: string | null; has_more: boolean; total?: number };
  errors?: { code: string; message: string; field?: string }[];
  request_id: string;
}

export async function envelope<T = unknown>(response: Response): Promise<Envelope<T>> {
  return (await response.json()) as Envelope<T>;
}
