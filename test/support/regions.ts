/**
 * Region URLs inside workerd tests. Lagos points at a port nothing listens on, so a forward is
 * attempted and fails fast instead of reaching a dev stack that might be running on 8788.
 */
export const TEST_REGION_URLS = { eu: "http://127.0.0.1:8787", lagos: "http://127.0.0.1:9" } as const;
