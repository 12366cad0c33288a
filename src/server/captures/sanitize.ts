import sanitizeHtml from 'sanitize-html';

/**
 * Captured pages are hostile. What survives: text and a few structural tags, with no attributes at all — so no
 * script, no event handler, no style, no URL of any kind (links, images, CSS url(), forms, meta refresh, frames)
 * can reach the analyst's browser. Links keep their text and show their target as inert text.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'div', 'span', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'b', 'i', 'u', 'strong', 'em', 'small',
    'pre', 'code', 'blockquote', 'section', 'article', 'header', 'footer', 'nav', 'main', 'aside', 'label', 'a',
  ],
  allowedAttributes: {},
  allowedSchemes: [],
  allowedSchemesAppliedToAttributes: [],
  allowProtocolRelative: false,
  allowedStyles: {},
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template', 'svg', 'math', 'title', 'head', 'select', 'button'],
  transformTags: {
    // Only plain http(s) targets are worth showing (as text); script and data URLs are dropped entirely.
    a: (_tag, attribs) => ({ tagName: 'a', attribs: {}, text: /^https?:\/\/[^\s]{1,200}$/i.test(attribs.href ?? '') ? ` [→ ${attribs.href}]` : '' }),
  },
};

export function sanitizeCapture(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** The CSP of the capture view: nothing may load or run; only the inline style of our own wrapper applies. */
export const CAPTURE_VIEW_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A complete, inert HTML document for the sandboxed evidence frame. */
export function captureViewDocument(meta: { id: number; url: string; sha256: string; fetchedAt: Date }, cleanHtml: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>capture ${meta.id}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b2430;background:#fff}.dp-banner{background:#fff4d6;border-bottom:1px solid #e0c870;padding:6px 12px;font:12px ui-monospace,monospace;color:#5a4500}.dp-body{padding:12px 16px}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:2px 6px}</style>
</head><body><div class="dp-banner">SANITISED CAPTURE #${meta.id} · ${escape(meta.url)} · sha256 ${meta.sha256} · fetched ${meta.fetchedAt.toISOString()} — scripts, styles, images and links removed</div><div class="dp-body">${cleanHtml}</div></body></html>`;
}
