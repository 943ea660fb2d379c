import { z } from "zod";

export const MAIL_LOCALES = ["en", "fr"] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

export const isMailLocale = (value: unknown): value is MailLocale =>
  typeof value === "string" && (MAIL_LOCALES as readonly string[]).includes(value);

/** What each template needs; checked when a message is queued and again when it is rendered. */
export const TEMPLATE_VALUES = {
  invitation: z.strictObject({
    tenant_name: z.string().min(1).max(200),
    role_name: z.string().min(1).max(100),
    link: z.url(),
    expires_hours: z.number().int().positive(),
  }),
  password_reset: z.strictObject({ link: z.url(), expires_minutes: z.number().int().positive() }),
  sign_in_code: z.strictObject({
    code: z.string().regex(/^[0-9]{8}$/),
    expires_minutes: z.number().int().positive(),
  }),
} as const;

export type MailTemplate = keyof typeof TEMPLATE_VALUES;
export type TemplateValues<T extends MailTemplate> = z.infer<(typeof TEMPLATE_VALUES)[T]>;
export const MAIL_TEMPLATES = Object.keys(TEMPLATE_VALUES) as MailTemplate[];

/**
 * The words of one message: a subject, paragraphs, and at most one action (a button in HTML, a
 * bare URL on its own line in text) or one code shown large. Kept as data so the text and HTML
 * parts cannot say different things.
 */
export interface MailCopy {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  code?: string;
  footer: string;
}

type CopyOf<T extends MailTemplate> = (values: TemplateValues<T>) => MailCopy;

const FOOTER = {
  en: "You received this because of an action on Nexus Edge. If it was not you, you can ignore this message: nothing changes unless the link or code is used.",
  fr: "Vous recevez ce message à la suite d’une action sur Nexus Edge. Si ce n’était pas vous, ignorez-le : rien ne change tant que le lien ou le code n’est pas utilisé.",
} as const;

export const COPY: { [T in MailTemplate]: Record<MailLocale, CopyOf<T>> } = {
  invitation: {
    en: (v) => ({
      subject: `You are invited to join ${v.tenant_name} on Nexus Edge`,
      greeting: "Hello,",
      paragraphs: [
        `You have been invited to join ${v.tenant_name} as ${v.role_name}.`,
        "Open the link to join: if you are new to Nexus Edge, you will choose your password there; if you already have an account, you accept with it.",
        `The link works once and expires in ${v.expires_hours} hours.`,
      ],
      action: { label: "Join the team", url: v.link },
      footer: FOOTER.en,
    }),
    fr: (v) => ({
      subject: `Invitation à rejoindre ${v.tenant_name} sur Nexus Edge`,
      greeting: "Bonjour,",
      paragraphs: [
        `Vous êtes invité(e) à rejoindre ${v.tenant_name} en tant que ${v.role_name}.`,
        "Ouvrez le lien pour rejoindre l’équipe : si vous êtes nouveau sur Nexus Edge, vous y choisirez votre mot de passe ; si vous avez déjà un compte, vous acceptez avec lui.",
        `Le lien ne fonctionne qu’une fois et expire dans ${v.expires_hours} heures.`,
      ],
      action: { label: "Rejoindre l’équipe", url: v.link },
      footer: FOOTER.fr,
    }),
  },
  password_reset: {
    en: (v) => ({
      subject: "Reset your Nexus Edge password",
      greeting: "Hello,",
      paragraphs: [
        "Someone asked to reset the password of the Nexus Edge account with this address.",
        `Open the link to choose a new one. It works once and expires in ${v.expires_minutes} minutes. Setting a new password signs you out everywhere.`,
      ],
      action: { label: "Choose a new password", url: v.link },
      footer: FOOTER.en,
    }),
    fr: (v) => ({
      subject: "Réinitialisez votre mot de passe Nexus Edge",
      greeting: "Bonjour,",
      paragraphs: [
        "Quelqu’un a demandé à réinitialiser le mot de passe du compte Nexus Edge de cette adresse.",
        `Ouvrez le lien pour en choisir un nouveau. Il ne fonctionne qu’une fois et expire dans ${v.expires_minutes} minutes. Un nouveau mot de passe vous déconnecte partout.`,
      ],
      action: { label: "Choisir un nouveau mot de passe", url: v.link },
      footer: FOOTER.fr,
    }),
  },
  sign_in_code: {
    en: (v) => ({
      subject: `Your Nexus Edge sign-in code: ${v.code}`,
      greeting: "Hello,",
      paragraphs: [
        "Enter this code on the sign-in page to finish signing in.",
        `It expires in ${v.expires_minutes} minutes. Never give it to anyone: Nexus Edge will never ask you for it.`,
      ],
      code: v.code,
      footer: FOOTER.en,
    }),
    fr: (v) => ({
      subject: `Votre code de connexion Nexus Edge : ${v.code}`,
      greeting: "Bonjour,",
      paragraphs: [
        "Saisissez ce code sur la page de connexion pour terminer.",
        `Il expire dans ${v.expires_minutes} minutes. Ne le communiquez à personne : Nexus Edge ne vous le demandera jamais.`,
      ],
      code: v.code,
      footer: FOOTER.fr,
    }),
  },
};
