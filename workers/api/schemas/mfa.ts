import { z } from "@hono/zod-openapi";

/** An 8-digit code sent by e-mail or SMS (never a 6-digit TOTP). */
export const SignInCodeInput = z.strictObject({ code: z.string().regex(/^[0-9]{8}$/, "8 digits") });

/** The account's password, to weaken its sign-in (turning a factor off). */
export const PasswordConfirmation = z.strictObject({ password: z.string().min(1).max(1024) });
