import { createHmac } from "node:crypto";

// The three webhook signatures, over the exact bytes sent.

/** `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(whsec, "<t>.<body>")>`. */
export function stripeSignature(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

/** `x-paystack-signature`: hex HMAC-SHA512 of the raw body, keyed with the merchant's secret key. */
export function paystackSignature(secretKey: string, body: string): string {
  return createHmac("sha512", secretKey).update(body, "utf8").digest("hex");
}

/** `flutterwave-signature`: base64 HMAC-SHA256 of the raw body, keyed with the dashboard secret hash. */
export function flutterwaveSignature(secretHash: string, body: string): string {
  return createHmac("sha256", secretHash).update(body, "utf8").digest("base64");
}
