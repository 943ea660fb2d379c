/**
 * Mailbox providers anyone can sign up with: proving one of these would make every stranger
 * with an address there a JIT member (the research note's "free-mail domains claimed for JIT").
 * Refused as verified domains. The common ones by volume, after Stytch's and WorkOS's lists.
 */
const FREE_MAIL = new Set([
  "gmail.com",
  "googlemail.com",
  "outlook.com",
  "hotmail.com",
  "hotmail.co.uk",
  "hotmail.fr",
  "live.com",
  "live.fr",
  "msn.com",
  "yahoo.com",
  "yahoo.co.uk",
  "yahoo.fr",
  "ymail.com",
  "aol.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "proton.me",
  "protonmail.com",
  "pm.me",
  "gmx.com",
  "gmx.de",
  "gmx.net",
  "web.de",
  "mail.com",
  "mail.ru",
  "yandex.com",
  "yandex.ru",
  "zoho.com",
  "tutanota.com",
  "fastmail.com",
  "hey.com",
  "orange.fr",
  "wanadoo.fr",
  "free.fr",
  "laposte.net",
  "t-online.de",
  "qq.com",
  "163.com",
]);

export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL.has(domain.toLowerCase());
}

/** The domain part of an address, lower case; undefined for something that is not one. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1) return undefined;
  return email.slice(at + 1).toLowerCase();
}
