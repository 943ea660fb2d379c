import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SmsProvidersServer, startSmsProviders } from "../../regions/sms-providers/server";
import { africasTalkingSender } from "../../workers/api/sms/africas-talking";
import { SmsError } from "../../workers/api/sms/sms-port";
import { twilioSender } from "../../workers/api/sms/twilio";

// The Worker's SMS adapters against the stand-in that speaks Twilio's and Africa's Talking's wire
// formats: what each sends (form fields, Basic auth, the apiKey header) and how a refusal comes back.
let standin: SmsProvidersServer;
beforeAll(async () => {
  standin = await startSmsProviders();
});
afterAll(() => standin.close());

describe("Twilio Messages API", () => {
  const sender = () =>
    twilioSender({
      baseUrl: standin.url,
      accountSid: standin.accounts.twilio.accountSid,
      authToken: standin.accounts.twilio.authToken,
      from: "+4915700000000",
    });

  it("posts To, From and Body with Basic auth and answers the message sid", async () => {
    const { id } = await sender().send({ to: "+4915123456789", body: "Your code is 12345678" });
    expect(id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(standin.inbox()[0]).toMatchObject({
      id,
      provider: "twilio",
      to: "+4915123456789",
      from: "+4915700000000",
      body: "Your code is 12345678",
    });
  });

  it("sends from a Messaging Service when the sender is one", async () => {
    const viaService = twilioSender({
      baseUrl: standin.url,
      accountSid: standin.accounts.twilio.accountSid,
      authToken: standin.accounts.twilio.authToken,
      from: "MG0123456789abcdef0123456789abcdef",
    });
    await viaService.send({ to: "+4915123456780", body: "x" });
    expect(standin.inbox()[0]?.from).toBe("MG0123456789abcdef0123456789abcdef");
  });

  it("throws a permanent SmsError for a wrong token or a bad number, with no text in the message", async () => {
    const wrong = twilioSender({
      baseUrl: standin.url,
      accountSid: standin.accounts.twilio.accountSid,
      authToken: "nope",
      from: "+4915700000000",
    });
    const refused = await wrong
      .send({ to: "+4915123456789", body: "secret 11112222" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SmsError);
    expect((refused as SmsError).transient).toBe(false);
    expect((refused as SmsError).message).toBe("twilio: HTTP 401 code 20003");
    const bad = await sender()
      .send({ to: "0800", body: "x" })
      .catch((e: unknown) => e);
    expect((bad as SmsError).message).toBe("twilio: HTTP 400 code 21211");
  });

  it("throws a transient SmsError when the provider cannot be reached", async () => {
    const gone = twilioSender({
      baseUrl: "http://127.0.0.1:9",
      accountSid: "AC1",
      authToken: "t",
      from: "+1",
    });
    const error = (await gone.send({ to: "+4915123456789", body: "x" }).catch((e: unknown) => e)) as SmsError;
    expect(error.transient).toBe(true);
  });
});

describe("Africa's Talking messaging", () => {
  const sender = (apiKey = standin.accounts.africasTalking.apiKey) =>
    africasTalkingSender({
      baseUrl: standin.url,
      username: standin.accounts.africasTalking.username,
      apiKey,
      from: "NEXUS",
    });

  it("posts username, to, message and from with the apiKey header; answers the recipient's messageId", async () => {
    const { id } = await sender().send({ to: "+2348031234567", body: "Your code is 87654321" });
    expect(id).toMatch(/^ATXid_/);
    expect(standin.inbox()[0]).toMatchObject({
      id,
      provider: "africastalking",
      to: "+2348031234567",
      from: "NEXUS",
      body: "Your code is 87654321",
    });
  });

  it("refuses a recipient the provider did not take, and a wrong key", async () => {
    const invalid = (await sender()
      .send({ to: "+23", body: "x" })
      .catch((e: unknown) => e)) as SmsError;
    expect(invalid.message).toBe("africastalking: recipient status 403");
    const wrong = (await sender("wrong")
      .send({ to: "+2348031234567", body: "x" })
      .catch((e: unknown) => e)) as SmsError;
    expect(wrong.message).toBe("africastalking: HTTP 401");
    expect(wrong.transient).toBe(false);
  });
});
