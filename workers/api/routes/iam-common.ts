import type { Page } from "../services/contacts";

/** What every iam route shares in its OpenAPI operation. */
export const IAM = { tags: ["iam"], security: [{ bearerAuth: [] }] };

export const successBody = <T>(data: T, requestId: string) => ({
  status: "success" as const,
  data,
  request_id: requestId,
});

export const pageBody = <T>(page: Page<T>, limit: number, requestId: string) => ({
  status: "success" as const,
  data: page.items,
  meta: { limit, cursor: page.cursor, has_more: page.hasMore },
  request_id: requestId,
});
