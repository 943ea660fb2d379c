/**
 * The local IdP's people: "Acme"'s staff, whose addresses are on acme.example, a domain the demo
 * tenant verifies in `npm run dev`. `sub` is the IdP's own id, as a real IdP's is: stable even
 * when the address changes (the test for keying by subject changes Ada's).
 */
export interface IdpUser {
  sub: string;
  email: string;
  name: string;
  password: string;
  groups: string[];
  email_verified?: boolean;
}

export const DEMO_IDP_PASSWORD = "acme-demo-password";

export const DEMO_IDP_USERS: readonly IdpUser[] = [
  {
    sub: "00u-ada",
    email: "ada@acme.example",
    name: "Ada Lovelace",
    password: DEMO_IDP_PASSWORD,
    groups: ["nexus-admins"],
  },
  {
    sub: "00u-grace",
    email: "grace@acme.example",
    name: "Grace Hopper",
    password: DEMO_IDP_PASSWORD,
    groups: ["engineering"],
  },
  {
    sub: "00u-linus",
    email: "linus@unverified.example",
    name: "Linus Outside",
    password: DEMO_IDP_PASSWORD,
    groups: [],
  },
];
