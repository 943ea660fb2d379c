-- The /docs page's first-party client: public (a browser page keeps no secret), authorization
-- code with PKCE only, no refresh tokens (a reader signs in again), and the redirect `/docs`,
-- a path that resolves against each region's own origin (oauth/redirect-uri.ts), so one row
-- serves every deployment whatever its domain. Read scopes and write scopes: "Try it" on a
-- write operation is the point of an interactive reference; the reader's role still decides.
INSERT INTO "oauth_clients" (client_id, tenant_id, name, client_type, redirect_uris, grant_types, scopes)
VALUES ('nexus-docs', NULL, 'Nexus Edge API reference', 'public', ARRAY['/docs'],
        ARRAY['authorization_code'],
        ARRAY['openid', 'profile', 'email', 'crm:read', 'crm:write', 'finance:read', 'finance:write',
              'iam:read', 'iam:write', 'realtime:read', 'realtime:write', 'webhooks:read', 'webhooks:write'])
ON CONFLICT DO NOTHING;
