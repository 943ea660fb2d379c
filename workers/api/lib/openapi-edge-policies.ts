/**
 * What the edge adds to every /api/ operation, written into the OpenAPI document once instead of
 * into each route: the rate-limit headers on its responses and the 429 it may answer.
 */

import { PUBLIC_REQUEST_LIMIT } from "../limits/per-address";

type Responses = Record<
  string,
  { description: string; headers?: Record<string, unknown>; content?: unknown }
>;
interface Operation {
  responses?: Responses;
}
interface Document {
  paths?: Record<string, Record<string, Operation | unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch"]);

const RATE_LIMIT_HEADERS = {
  "RateLimit-Policy": {
    description: `Every limit the request counts against (draft-ietf-httpapi-ratelimit-headers): \`"tenant";q=100;w=60, "user";q=1000;w=3600, "ip";q=10000;w=3600, "burst";q=200;w=60\` — \`q\` requests per \`w\` seconds. Layers: the tenant by plan, one credential per hour, one client address (IPv6 by /64) per hour within the tenant, one credential per minute. Public routes (\`x-public\`) count one layer, \`"ip"\`, per client address: \`"ip";q=${PUBLIC_REQUEST_LIMIT.limit};w=${PUBLIC_REQUEST_LIMIT.windowMs / 1000}\`.`,
    schema: { type: "string" },
  },
  RateLimit: {
    description:
      'Where each layer stands: `"tenant";r=57;t=23, …` — `r` requests left, `t` seconds until its window resets.',
    schema: { type: "string" },
  },
  "X-RateLimit-Limit": {
    description:
      "Quota of the governing layer (the one with least room; on a 429 the refusing layer that resets last).",
    schema: { type: "integer" },
  },
  "X-RateLimit-Remaining": {
    description: "Requests left in the governing layer's window.",
    schema: { type: "integer" },
  },
  "X-RateLimit-Reset": {
    description: "When the governing layer's window resets, in Unix epoch seconds.",
    schema: { type: "integer" },
  },
} as const;

const RETRY_AFTER = {
  description: "Seconds to wait; a request sent after that is not refused for the same window.",
  schema: { type: "integer" },
};

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

export function withEdgePolicies<T extends object>(generated: T): T {
  const document = generated as Document;
  document.components ??= {};
  document.components.headers = {
    ...document.components.headers,
    ...RATE_LIMIT_HEADERS,
    "Retry-After": RETRY_AFTER,
  };
  const limitHeaders = Object.fromEntries(Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, ref(name)]));

  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith("/api/")) continue;
    for (const [method, value] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const operation = value as Operation;
      operation.responses ??= {};
      for (const [status, response] of Object.entries(operation.responses)) {
        // A request refused before authentication was never counted, so it has no limits to report.
        if (status === "401") continue;
        response.headers = { ...response.headers, ...limitHeaders };
      }
      operation.responses["429"] ??= {
        description: "Rate limited (code RATE_LIMITED): the body is the error envelope.",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
      const limited = operation.responses["429"];
      limited.headers = { ...limited.headers, "Retry-After": ref("Retry-After") };
    }
  }
  return generated;
}
