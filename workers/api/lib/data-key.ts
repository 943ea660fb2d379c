import { ApiError } from "./errors";

/**
 * The region's DATA_ENCRYPTION_KEY for a feature that keeps secrets at rest. Without it they
 * could be stored only in clear text, so the feature answers 503 instead.
 */
export function requireDataKey(key: string | undefined, feature: string): string {
  if (!key)
    throw ApiError.unavailable(`${feature} is not available in this region (no DATA_ENCRYPTION_KEY)`, 60);
  return key;
}
