import type { LimitCheck } from "../../../durable-objects/limit-decision";
import type { Actor } from "../services/context";
import { type LayerLimits, LIMIT_LAYERS, type LimitLayer } from "./policies";

export interface LayerCheck extends LimitCheck {
  layer: LimitLayer;
}

/**
 * The counters one request is checked against, all in its tenant's object. Keys name the layer,
 * its window and its subject; a change of window starts a fresh counter rather than reading
 * another window's count. Subjects are ids and address prefixes, never personal data.
 */
export function requestChecks(actor: Actor, ipKey: string, limits: LayerLimits): LayerCheck[] {
  const credential = `${actor.credential}:${actor.userId}`;
  const subjects: Record<LimitLayer, string> = {
    tenant: "",
    user: credential,
    ip: ipKey,
    burst: credential,
  };
  return LIMIT_LAYERS.map((layer) => {
    const { limit, windowSeconds } = limits[layer];
    return {
      layer,
      key: `${layer}/${windowSeconds}:${subjects[layer]}`,
      limit,
      windowMs: windowSeconds * 1000,
    };
  });
}

/** The object that holds a tenant's counters. */
export const limiterName = (tenantId: string) => `limits:tenant:${tenantId}`;
