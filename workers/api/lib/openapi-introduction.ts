import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../schemas/common";
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_TTL_HOURS } from "./idempotency";

/** The document's introduction (info.description): what a first request needs to know. */
export const GETTING_STARTED = [
  "Multi-tenant, multi-region business API.",
  "",
  "## Getting started",
  "",
  "**Tokens.** Every `/api/*` route takes `Authorization: Bearer …`: an access token from this " +
    "region's authorization server (`oauth2` below: authorization code with PKCE for people, client " +
    "credentials for services), or an API key `nxk_{region}_…` (also as `X-API-Key`). A token's " +
    "scopes narrow what its role's permissions allow. Routes marked `x-public` take no credential.",
  "",
  "**Regions.** Each tenant lives in one home region (`servers` lists them all): call your tenant's " +
    "region, whose data stays there. Credentials are issued per region (API keys name it: `nxk_eu_…`).",
  "",
  "**Errors.** Every response is the envelope `{status, data, meta, errors, request_id}`. On failure " +
    "`errors[]` carries a `code` from a closed set (`VALIDATION_ERROR`, `UNAUTHENTICATED`, `FORBIDDEN`, " +
    "`NOT_FOUND`, `RATE_LIMITED`, …), the `field` at fault and a message saying what to do; quote " +
    "`request_id` when asking for help.",
  "",
  "**What a request may carry.** Only what its operation declares: a body on an operation without " +
    "`requestBody` is 400 `BAD_REQUEST`, a JSON body without `application/json` 415, a query parameter " +
    "not listed (or repeated) 400 naming it. Text is UTF-8 without BOM, with no NUL or lone surrogate " +
    "anywhere; JSON nests at most 32 levels, has no `__proto__` key and no number beyond ±(2^53−1) (400).",
  "",
  `**Pagination.** Lists take \`limit\` (1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}) and \`cursor\`: ` +
    "pass `meta.cursor` of a page to get the next one while `meta.has_more` is true.",
  "",
  `**Idempotency.** Send \`${IDEMPOTENCY_HEADER}\` (e.g. a UUID) on a POST to make it safe to retry: ` +
    `the first answer is replayed for ${IDEMPOTENCY_TTL_HOURS} h.`,
].join("\n");
