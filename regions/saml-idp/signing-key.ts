import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

/**
 * An IdP's signing key and its self-signed certificate, as real IdPs publish one in their
 * metadata (Entra, Okta and ADFS all sign with a self-signed certificate the SP pins). Made
 * fresh at each start: the stand-in's assertions are only checked while it runs. Node makes the
 * key (fast, native); node-forge only writes the certificate around it.
 */
export interface SigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

export function generateSigningKey(commonName: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial: the first byte's high bit clear.
  certificate.serialNumber = `0${randomBytes(8).toString("hex")}`;
  const now = Date.now();
  certificate.validity.notBefore = new Date(now - 60_000);
  certificate.validity.notAfter = new Date(now + 365 * 24 * 3600_000);
  const name = [{ name: "commonName", value: commonName }];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { privateKeyPem: privateKey, certificatePem: forge.pki.certificateToPem(certificate) };
}
