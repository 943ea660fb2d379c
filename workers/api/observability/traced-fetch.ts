import { type Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { tracingActive, workerTracing } from "./tracing";

export interface TracedFetchOptions {
  /** The span's name: what the call is (`forward to eu`, `stripe create checkout`). */
  name: string;
  attributes?: Attributes;
  /**
   * Send `traceparent` along: to our own services (the home region, the gateway, webhook
   * receivers who asked for deliveries), not to third-party APIs, which have no use for our ids.
   */
  propagate: boolean;
  fetcher?: typeof fetch;
}

/**
 * `fetch` in a client span, when the request is traced (otherwise exactly `fetch`). A 5xx or a
 * network failure marks the span failed, which keeps its trace whatever the sampling said.
 */
export async function tracedFetch(
  options: TracedFetchOptions,
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<Response> {
  const fetcher = options.fetcher ?? fetch;
  if (!tracingActive()) return fetcher(input, init);
  return workerTracing.inSpan(
    options.name,
    { kind: SpanKind.CLIENT, ...(options.attributes ? { attributes: options.attributes } : {}) },
    async (span) => {
      let request = init;
      if (options.propagate) {
        const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
        workerTracing.inject(headers);
        request = { ...init, headers };
      }
      const response = await fetcher(input, request);
      span.setAttribute("http.response.status_code", response.status);
      if (response.status >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute("error.type", String(response.status));
      }
      return response;
    },
  );
}

/** `POST /v1/checkout/sessions/{id}`: a third party's path with anything carrying a digit as {id}. */
export function operationOf(method: string, url: string): string {
  const path = new URL(url).pathname.replace(/\/[^/]*\d[^/]*/g, "/{id}");
  return `${method.toUpperCase()} ${path}`;
}

/** A fetch for a third-party API client (the stripe package): each call a span, no traceparent sent. */
export function providerFetcher(provider: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const operation = operationOf(method, url);
    return tracedFetch(
      {
        name: `${provider} ${operation}`,
        attributes: { "nexus.provider": provider, "nexus.provider.operation": operation },
        propagate: false,
      },
      input,
      init,
    );
  };
}
