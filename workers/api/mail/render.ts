import { COPY, type MailCopy, type MailLocale, type MailTemplate, TEMPLATE_VALUES } from "./templates";

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function textPart(copy: MailCopy): string {
  const lines = [copy.greeting, "", ...copy.paragraphs.flatMap((p) => [p, ""])];
  if (copy.code) lines.push(`    ${copy.code}`, "");
  if (copy.action) lines.push(`${copy.action.label}:`, copy.action.url, "");
  lines.push("--", copy.footer);
  return `${lines.join("\n")}\n`;
}

/** Inline styles only: mail clients drop <style> blocks and never load outside resources. */
function htmlPart(copy: MailCopy, locale: MailLocale): string {
  const paragraphs = copy.paragraphs.map((p) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`).join("");
  const code = copy.code
    ? `<p style="font-size:28px;letter-spacing:6px;font-weight:700;margin:8px 0 24px" data-code>${escapeHtml(copy.code)}</p>`
    : "";
  const action = copy.action
    ? `<p style="margin:8px 0 24px"><a href="${escapeHtml(copy.action.url)}" style="display:inline-block;background:#1a56db;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(copy.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555555;word-break:break-all">${escapeHtml(copy.action.url)}</p>`
    : "";
  return (
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(copy.subject)}</title></head>` +
    `<body style="margin:0;padding:24px;background:#f5f5f5;font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111111">` +
    `<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">` +
    `<p style="margin:0 0 16px">${escapeHtml(copy.greeting)}</p>${paragraphs}${code}${action}` +
    `<hr style="border:none;border-top:1px solid #e5e5e5;margin:24px 0"><p style="margin:0;font-size:12px;color:#777777">${escapeHtml(copy.footer)}</p>` +
    `</div></body></html>`
  );
}

/** One template in one language, as text and HTML; throws if the values do not fit the template. */
export function renderMail(template: MailTemplate, locale: MailLocale, values: unknown): RenderedMail {
  const parsed = TEMPLATE_VALUES[template].parse(values);
  // The catalogue is keyed by template, so the values parsed are the ones this copy takes.
  const copy = (COPY[template][locale] as (v: typeof parsed) => MailCopy)(parsed);
  return { subject: copy.subject, text: textPart(copy), html: htmlPart(copy, locale) };
}
