import createClient, { type Client } from "openapi-fetch";
import { type AuthProvider, apiKeyAuth } from "./auth";
import type { paths } from "./generated/openapi";
import { type ListItem, type ListPath, type ListPathParams, type ListQuery, paginate } from "./pagination";
import { type PlatformEvent, RealtimeClient, type RealtimeOptions } from "./realtime";
import { type BaseUrlOptions, type RegionId, resolveBaseUrl } from "./regions";
import type { RetryOptions } from "./retry";
import { createTransport, type TransportOptions } from "./transport";

export interface NexusClientOptions extends Omit<BaseUrlOptions, "credential"> {
  /** An API key (`nxk_…`), or any credential provider (OAuthSession, ClientCredentialsAuth). */
  auth?: AuthProvider | string | undefined;
  retry?: RetryOptions | undefined;
  fetch?: typeof fetch | undefined;
  headers?: Record<string, string> | undefined;
  onRetry?: TransportOptions["onRetry"];
  /** How retries wait (tests replace it). */
  sleep?: TransportOptions["sleep"];
}

/** The typed API (openapi-fetch over the generated paths) with the layer every caller needs. */
export interface NexusClient {
  /** openapi-fetch: `api.GET("/api/v1/crm/contacts", { params: { query: { limit: 10 } } })`. Non-2xx throws NexusApiError. */
  readonly api: Client<paths>;
  readonly baseUrl: string;
  readonly region: RegionId | undefined;
  /** The envelope's `data` of a call (`await nexus.data(nexus.api.GET(…))`). */
  data<T extends { data?: unknown }>(call: Promise<T>): Promise<EnvelopeData<T>>;
  /** Every item of a list across its pages: `for await (const c of nexus.list("/api/v1/crm/contacts"))`. */
  list<P extends ListPath>(
    path: P,
    query?: ListQuery<P>,
    pathParams?: ListPathParams<P>,
  ): AsyncGenerator<ListItem<P>>;
  /** A realtime connection (tickets, reconnect with resume); signed-in users only, not API keys. */
  realtime(options?: Partial<RealtimeOptions>): RealtimeClient;
}

/** The envelope's own `data` of openapi-fetch's success body (errors throw, so `data` is there). */
type Unwrap<D> = D extends { data: infer X } ? X : D;
export type EnvelopeData<T extends { data?: unknown }> = Unwrap<NonNullable<T["data"]>>;

export function createNexusClient(options: NexusClientOptions = {}): NexusClient {
  const auth = typeof options.auth === "string" ? apiKeyAuth(options.auth) : options.auth;
  const { baseUrl, region } = resolveBaseUrl({
    ...options,
    ...(typeof options.auth === "string" ? { credential: options.auth } : {}),
  });
  const transport = createTransport({
    auth,
    retry: options.retry,
    fetch: options.fetch,
    headers: options.headers,
    onRetry: options.onRetry,
    sleep: options.sleep,
  });
  const api = createClient<paths>({ baseUrl, fetch: transport });

  const data = async <T extends { data?: unknown }>(call: Promise<T>) => {
    const result = await call;
    const body = result.data as { data?: unknown } | undefined;
    return (body && typeof body === "object" && "data" in body ? body.data : body) as EnvelopeData<T>;
  };

  const client: NexusClient = {
    api,
    baseUrl,
    region,
    data,
    list<P extends ListPath>(path: P, query?: ListQuery<P>, pathParams?: ListPathParams<P>) {
      return paginate<ListItem<P>>(async (cursor) => {
        const get = api.GET as unknown as (
          path: string,
          init: { params: { query: Record<string, unknown>; path?: unknown } },
        ) => Promise<{ data?: { data: unknown[]; meta: { cursor?: string | null; has_more?: boolean } } }>;
        const { data: page } = await get(path, {
          params: {
            query: { ...(query ?? {}), ...(cursor ? { cursor } : {}) },
            ...(pathParams ? { path: pathParams } : {}),
          },
        });
        return page ?? { data: [], meta: {} };
      });
    },
    realtime(overrides) {
      return new RealtimeClient({
        ticket: async () => {
          const ticket = await data(api.POST("/api/v1/realtime/tickets", {}));
          return { url: ticket.url };
        },
        backfill: async (since) => {
          const events: PlatformEvent[] = [];
          for await (const event of client.list("/api/v1/events", { since, limit: 200 }))
            events.push(event as PlatformEvent);
          return events.reverse();
        },
        ...overrides,
      });
    },
  };
  return client;
}
