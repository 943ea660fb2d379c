import { createHash, randomBytes } from "node:crypto";

/**
 * The first-party CLI client's sign-in (nexus-cli: public, PKCE, loopback redirect), driven
 * without a browser: GET the sign-in page, POST the form with the page's CSRF token and cookie,
 * read the code from the 303's Location, redeem it. Exactly the requests a browser would send,
 * so it exercises the real authorization server; nothing is signed locally.
 */
export interface CliSignInOptions {
  issuer: string;
  email: string;
  password: string;
  scope?: string;
  /** The loopback redirect; nothing needs to listen there, the code is read from the redirect. */
  redirectUri?: string;
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

const b64url = (buf: Buffer) => buf.toString("base64url");

function cookiesFrom(response: Response, jar: Map<string, string>): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

function alertText(html: string): string | undefined {
  return /<p role="alert"[^>]*>([^<]*)<\/p>/.exec(html)?.[1]?.trim();
}

export async function cliSignIn(options: CliSignInOptions): Promise<TokenSet> {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash("sha256").update(verifier).digest());
  const state = b64url(randomBytes(16));
  const redirectUri = options.redirectUri ?? "http://127.0.0.1:53682/callback";
  const params = new URLSearchParams({
    response_type: "code",
    client_id: "nexus-cli",
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
    ...(options.scope ? { scope: options.scope } : {}),
  });
  const jar = new Map<string, string>();
  const page = await fetch(`${options.issuer}/oauth/authorize?${params}`, { redirect: "manual" });
  cookiesFrom(page, jar);
  const html = await page.text();
  if (page.status !== 200)
    throw new Error(`sign-in page answered ${page.status}: ${alertText(html) ?? html.slice(0, 200)}`);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error("sign-in page has no CSRF token");

  const form = new URLSearchParams(params);
  form.set("csrf_token", csrf);
  form.set("email", options.email);
  form.set("password", options.password);
  form.set("consent", "approve");
  const posted = await fetch(`${options.issuer}/oauth/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookieHeader(jar) },
    body: form,
  });
  const location = posted.headers.get("Location");
  if (posted.status !== 303 || !location) {
    const body = await posted.text();
    throw new Error(
      `sign-in failed (${posted.status}): ${alertText(body) ?? "the account needs MFA or a choice of business; use a browser"}`,
    );
  }
  const back = new URL(location);
  if (back.searchParams.get("state") !== state) throw new Error("sign-in returned another state");
  if (back.searchParams.get("iss") !== options.issuer) throw new Error("sign-in returned another issuer");
  const code = back.searchParams.get("code");
  if (!code)
    throw new Error(
      `sign-in refused: ${back.searchParams.get("error")} ${back.searchParams.get("error_description") ?? ""}`,
    );

  const token = await fetch(`${options.issuer}/oauth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: "nexus-cli",
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    }),
  });
  const body = (await token.json()) as TokenSet & { error?: string; error_description?: string };
  if (token.status !== 200) throw new Error(`token endpoint: ${body.error} ${body.error_description ?? ""}`);
  return body;
}
