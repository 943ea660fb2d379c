export interface Scenario {
  id:
    | "baseline"
    | "contacts"
    | "auth-only"
    | "limits-off"
    | "limits-on"
    | "worker-list"
    | "peer-list"
    | "worker-create"
    | "peer-create";
  label: string;
  /** What the request exercises, for the report and the README. */
  description: string;
  /** Another Worker than the run's main one (the limiter comparison runs two). */
  baseUrl?: string;
  /** The process serving `baseUrl`, for the CPU figures. */
  workerdPid?: number;
  path: string;
  /** GET unless given; `body` is sent with every request. */
  method?: "GET" | "POST";
  body?: string;
  headers: Record<string, string>;
  /** The status every response must have; anything else during the run fails it. */
  expectedStatus: number;
}

export const PAGE_SIZE = 50;

/**
 * (a) and (b) are the pair. With `breakdown`, an authenticated 404 runs between them:
 * the same middleware as (b) up to the route (token verification included) but no database, so
 * (a) → auth-only → (b) splits the cost into "auth" and "query + serialisation".
 */
export function scenarios(token: string, breakdown = false): Scenario[] {
  const authOnly: Scenario = {
    id: "auth-only",
    label: "(x) GET /api/v1/__bench/none + token",
    description:
      "Diagnostic, outside the targets: the /api middleware (body rules, RS256 token verification, residency) then the router's 404. No I/O.",
    path: "/api/v1/__bench/none",
    headers: { Authorization: `Bearer ${token}` },
    expectedStatus: 404,
  };
  return [
    {
      id: "baseline",
      label: "(a) GET /__bench/none",
      description:
        "Unknown path outside /api: the global middleware (request id, config, request log, secure headers, CORS) and the router's 404 envelope. No auth, no I/O. The ceiling for any route on this runtime.",
      path: "/__bench/none",
      headers: {},
      expectedStatus: 404,
    },
    ...(breakdown ? [authOnly] : []),
    {
      id: "contacts",
      label: `(b) GET /api/v1/crm/contacts?limit=${PAGE_SIZE}`,
      description: `Bearer token verified (RS256), permission check, then one SQL-over-HTTP batch (set tenant + keyset page of ${PAGE_SIZE + 1} rows under RLS) through the SQL gateway to Postgres, ${PAGE_SIZE} contacts serialised.`,
      path: `/api/v1/crm/contacts?limit=${PAGE_SIZE}`,
      headers: { Authorization: `Bearer ${token}` },
      expectedStatus: 200,
    },
  ];
}

/**
 * One request before measuring: a benchmark of a route that answers 401 or an empty page would
 * report excellent figures for the wrong thing.
 */
export async function verifyScenario(baseUrl: string, scenario: Scenario): Promise<string> {
  const response = await fetch((scenario.baseUrl ?? baseUrl) + scenario.path, {
    method: scenario.method ?? "GET",
    headers: scenario.headers,
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
  });
  const text = await response.text();
  if (response.status !== scenario.expectedStatus) {
    throw new Error(
      `${scenario.label} answered ${response.status}, expected ${scenario.expectedStatus}: ${text.slice(0, 500)}`,
    );
  }
  if (!scenario.path.startsWith("/api/v1/crm/contacts") || scenario.method === "POST")
    return `${response.status} (${text.length} bytes)`;
  const body = JSON.parse(text) as { status?: string; data?: unknown[]; meta?: { has_more?: boolean } };
  const items = Array.isArray(body.data) ? body.data.length : -1;
  if (body.status !== "success" || items !== PAGE_SIZE || body.meta?.has_more !== true) {
    throw new Error(
      `${scenario.label} should return a full page of ${PAGE_SIZE} with more to come, got status=${body.status} items=${items} has_more=${body.meta?.has_more}`,
    );
  }
  return `${response.status}, ${items} items, has_more (${text.length} bytes)`;
}
