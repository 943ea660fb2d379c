/** Shared by the verifier and the issuer (and Node tooling, which must not import Worker types). */
export const ACCESS_TOKEN_TYPE = "at+jwt";
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
