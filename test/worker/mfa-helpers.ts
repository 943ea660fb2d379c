import { DEMO_PASSWORD, formField, openSignIn, pkcePair, postAuthorize } from "./oauth-helpers";

/** Password first; answers the MFA page and a way to post on it. */
export async function passwordStep(email: string) {
  const { verifier, challenge } = await pkcePair();
  const o = { challenge };
  const { jar, ip, csrf } = await openSignIn(o);
  const step1 = await postAuthorize(o, jar, ip, {
    csrf_token: csrf,
    email,
    password: DEMO_PASSWORD,
    consent: "approve",
  });
  const html = await step1.text();
  const fields = {
    csrf_token: formField(html, "csrf_token") ?? "",
    mfa_ticket: formField(html, "mfa_ticket") ?? "",
  };
  const post = (extra: Record<string, string>, from = ip) =>
    postAuthorize(o, jar, from, { ...fields, consent: "approve", ...extra });
  return { step1, html, post, verifier };
}
