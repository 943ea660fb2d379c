import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { announceRevocations, revokedFamilies } from "../auth/revocation-list";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceContext } from "../lib/service-context";
import { sendAfterCommit } from "../mail/mail-delivery";
import { closeMemberSockets } from "../realtime/close-member-sockets";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  ListQuery,
  listOf,
  successOf,
  UuidParam,
} from "../schemas/common";
import { Member, MemberInput, MemberPatch } from "../schemas/iam";
import { addMember, changeMember, getMember, listMembers, removeMember } from "../services/identity/members";
import { IAM, pageBody, successBody } from "./iam-common";

const Page = ListQuery.omit({ include_total: true });

/** Members of the caller's tenant; a member's id is its user id. */
export function registerMemberRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const path = `${base}/members`;
  const read = guardedBy("iam.members.read");
  const write = guardedBy("iam.members.write");

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path,
      summary: "List members",
      description: "Newest first, cursor pagination.",
      request: { query: Page },
      responses: {
        200: jsonResponse(listOf(Member), "A page of members"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listMembers(serviceContext(c), { limit: q.limit, cursor: q.cursor });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      ...acceptsIdempotencyKey(),
      method: "post",
      path,
      summary: "Invite a member",
      description:
        "Invites the region's user with this email, with a role you may grant (never above your own; Owner only " +
        "by an Owner). The answer is the same whether or not the email has an account: status `invited`, and the " +
        "email and name you gave (name defaults to the email's local part), never the account's own. The user " +
        "accepts or declines at their next sign-in, or from the invitation e-mail sent to the address (a link to " +
        "`/oauth/invitation`, single use, 72 hours; an unknown email becomes a user without a password, who sets one " +
        "there; `locale` picks the e-mail's language); until then the invitation gives no access, and only then does the " +
        "member show the account's email and name. 409 if already a member or invited. Audited as " +
        "`iam.member_added`; the answer as `iam.invitation_accepted` / `iam.invitation_declined`.",
      request: jsonBody(MemberInput),
      responses: {
        201: jsonResponse(successOf(Member), "Added"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const config = c.get("config");
      const { member, mailIds } = await addMember(serviceContext(c), requestInfo(c), c.req.valid("json"), {
        dataKey: config.dataEncryptionKey,
        origin: config.regionUrls[config.region],
        defaultLocale: config.mail.defaultLocale,
      });
      sendAfterCommit(c, mailIds);
      c.header("Location", `${path}/${member.id}`);
      return c.json(successBody(member, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: `${path}/{id}`,
      summary: "Get a member",
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(Member), "The member"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const member = await getMember(serviceContext(c), c.req.valid("param").id);
      return c.json(successBody(member, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "patch",
      path: `${path}/{id}`,
      summary: "Change a member's role or status",
      description:
        "Nobody changes their own membership (403); a pending invitation's status is the user's to change (409; " +
        "change its role or remove it). You may only change members whose role, and grant roles, " +
        "not above your own; the last active Owner cannot be demoted or suspended (409). The member's tokens " +
        "carry the new role from their next refresh (at most one access-token lifetime, 15 minutes by default); " +
        "a suspended member gets no new token. Their realtime sockets close (4001), so a reconnect carries the new " +
        "role. Audited as `iam.member_role_changed`.",
      request: { params: UuidParam, ...jsonBody(MemberPatch) },
      responses: {
        200: jsonResponse(successOf(Member), "Changed"),
        ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const id = c.req.valid("param").id;
      const member = await changeMember(ctx, requestInfo(c), id, c.req.valid("json"));
      closeMemberSockets(c, ctx.actor.tenantId, id);
      return c.json(successBody(member, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "delete",
      path: `${path}/{id}`,
      summary: "Remove a member",
      description:
        "Soft delete. Revokes the member's refresh tokens in this tenant in the same transaction; access tokens " +
        "already issued are refused by the edge revocation list (at once here, within 10 s everywhere), and their " +
        "realtime sockets close (4001). Not " +
        "yourself (403), not the last Owner (409). Audited as " +
        "`iam.member_removed`.",
      request: { params: UuidParam },
      responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
    }),
    async (c) => {
      const ctx = serviceContext(c);
      const id = c.req.valid("param").id;
      const { revokedFamilies: families } = await removeMember(ctx, requestInfo(c), id);
      await announceRevocations(c.get("config"), revokedFamilies(families), deferOf(c));
      closeMemberSockets(c, ctx.actor.tenantId, id);
      return c.body(null, 204);
    },
  );
}
