import { DEMO_IDP_PASSWORD, type IdpUser } from "../oidc-idp/demo-users";

/**
 * The SAML IdP's people: "Globex"'s staff on globex.example, a second company domain the demo
 * tenant verifies in `npm run dev`. `sub` becomes the persistent NameID: the key the Worker
 * finds them by, whatever their address.
 */
export const DEMO_SAML_DOMAIN = "globex.example";

export const DEMO_SAML_USERS: readonly IdpUser[] = [
  {
    sub: "globex-hank",
    email: "hank@globex.example",
    name: "Hank Scorpio",
    password: DEMO_IDP_PASSWORD,
    groups: ["nexus-admins"],
  },
  {
    sub: "globex-homer",
    email: "homer@globex.example",
    name: "Homer Simpson",
    password: DEMO_IDP_PASSWORD,
    groups: ["safety"],
  },
];
