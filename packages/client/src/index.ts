export {
  AuthorizationServer,
  type AuthProvider,
  apiKeyAuth,
  ClientCredentialsAuth,
  type OAuthClientOptions,
  OAuthSession,
  type TokenSet,
} from "./auth";
export { createNexusClient, type NexusClient, type NexusClientOptions } from "./client";
export { type ApiErrorDetail, NexusApiError, NexusNetworkError, NexusOAuthError } from "./errors";
export type { components, operations, paths } from "./generated/openapi";
export type { ListItem, ListPath } from "./pagination";
export { type PlatformEvent, RealtimeClient, type RealtimeState, type ServerFrame } from "./realtime";
export { REGION_IDS, REGION_URLS, type RegionId, regionOfCredential, resolveBaseUrl } from "./regions";
export { DEFAULT_RETRY, type RetryOptions } from "./retry";
export { type BrowserSignInOptions, signInWithBrowser } from "./sign-in";
export { createTransport, type TransportOptions } from "./transport";
export {
  generateWebhookSecret,
  signWebhook,
  type VerifyOptions,
  verifyWebhook,
  WebhookVerificationError,
} from "./webhooks";
