import type { LimitLayer } from "./policies";

/** Where one layer stands for this request, as the response reports it. */
export interface LayerState {
  layer: LimitLayer | "connection";
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Milliseconds until the layer's window resets (by the limiter's clock). */
  resetInMs: number;
  /** False when this layer refused the request. */
  allowed: boolean;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The layer a client should pace itself by: on a refusal, the refusing layer that resets last
 * (retrying before then is pointless); otherwise the one with the least room left.
 */
function governing(states: readonly LayerState[]): LayerState | undefined {
  const refused = states.filter((s) => !s.allowed);
  if (refused.length > 0) return refused.reduce((a, b) => (b.resetInMs > a.resetInMs ? b : a));
  return states.reduce<LayerState | undefined>(
    (a, b) =>
      !a || b.remaining < a.remaining || (b.remaining === a.remaining && b.resetInMs > a.resetInMs) ? b : a,
    undefined,
  );
}

/**
 * `RateLimit-Policy` and `RateLimit` as structured-field lists, one item per layer
 * (draft-ietf-httpapi-ratelimit-headers-10: `q` quota, `w` window, `r` remaining, `t` seconds to
 * reset), plus the widespread `X-RateLimit-*` trio for the governing layer (Reset in epoch
 * seconds, as GitHub sends it). A refusal adds `Retry-After`, rounded up so a client that waits
 * exactly that long never arrives before the reset.
 */
export function rateLimitHeaders(
  policies: readonly Pick<LayerState, "layer" | "limit" | "windowSeconds">[],
  states: readonly LayerState[],
  nowMs: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    "RateLimit-Policy": policies.map((p) => `"${p.layer}";q=${p.limit};w=${p.windowSeconds}`).join(", "),
  };
  if (states.length > 0) {
    headers.RateLimit = states
      .map((s) => `"${s.layer}";r=${s.remaining};t=${seconds(s.resetInMs)}`)
      .join(", ");
  }
  const top = governing(states);
  if (top) {
    headers["X-RateLimit-Limit"] = String(top.limit);
    headers["X-RateLimit-Remaining"] = String(top.remaining);
    headers["X-RateLimit-Reset"] = String(Math.ceil((nowMs + top.resetInMs) / 1000));
    if (!top.allowed) headers["Retry-After"] = String(seconds(top.resetInMs));
  }
  return headers;
}
