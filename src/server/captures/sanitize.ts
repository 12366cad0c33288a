import type { FastifyReply } from 'fastify';
import sanitizeHtml from 'sanitize-html';
import { renderCapture, renderHtml, type RenderedCapture } from './render.ts';

/**
 * Captured pages are hostile. render.ts turns a payload into inert HTML that keeps the visible text of every
 * element; this allowlist pass then guarantees, whatever the renderer did, that only structural tags and our own
 * two classes reach the analyst's browser — no script, event handler, style or URL (except a data: image of a
 * captured image, which the capture view's CSP confines to img-src data:).
 */
const ALLOWLIST: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'div', 'span', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead',
    'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'sub', 'sup', 'pre', 'code',
    'blockquote', 'section', 'article', 'header', 'footer', 'nav', 'main', 'aside', 'label', 'a', 'fieldset', 'legend',
    'figure', 'figcaption', 'details', 'summary', 'q', 'cite', 'abbr', 'mark', 'del', 'ins', 'address', 'img',
  ],
  allowedAttributes: { img: ['src', 'alt'] },
  allowedClasses: { span: ['dp-note'], p: ['dp-note'], pre: ['dp-text'] },
  allowedSchemes: [],
  allowedSchemesByTag: { img: ['data'] },
  allowedSchemesAppliedToAttributes: ['src'],
  allowProtocolRelative: false,
  allowedStyles: {},
  disallowedTagsMode: 'escape',
};

function allowlisted(r: RenderedCapture): RenderedCapture {
  return { ...r, html: sanitizeHtml(r.html, ALLOWLIST) };
}

/** A captured HTML page as inert HTML with the visible text of every element (see render.ts). */
export function sanitizeCapture(html: string): string {
  return allowlisted(renderHtml(html)).html;
}

/** A captured payload of any media type, rendered faithfully and inertly (see render.ts). */
export function safeRendering(bytes: Buffer, contentType: string | null): RenderedCapture {
  return allowlisted(renderCapture(bytes, contentType));
}

/** The CSP of the capture view: nothing may load or run; only the inline style of our own wrapper applies. */
export const CAPTURE_VIEW_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

/** Sends an inert HTML document (a capture view, a custody report) under its CSP, framable only by the console, never cached. */
export function sendInertHtml(reply: FastifyReply, csp: string, html: string): FastifyReply {
  return reply
    .header('content-security-policy', csp)
    .header('x-frame-options', 'SAMEORIGIN')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A complete, inert HTML document for the sandboxed evidence frame. */
export function captureViewDocument(meta: { id: number; url: string; sha256: string; fetchedAt: Date }, r: RenderedCapture): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>capture ${meta.id}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b2430;background:#fff}.dp-banner{background:#fff4d6;border-bottom:1px solid #e0c870;padding:6px 12px;font:12px ui-monospace,monospace;color:#5a4500}.dp-body{padding:12px 16px}table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:2px 6px}.dp-note{color:#6b5a00;font:12px ui-monospace,monospace}.dp-text{white-space:pre-wrap;word-break:break-all;font:12px/1.4 ui-monospace,monospace}img{max-width:100%}</style>
</head><body><div class="dp-banner">CAPTURE #${meta.id} · ${escape(meta.url)} · sha256 ${meta.sha256} · fetched ${meta.fetchedAt.toISOString()}<br>${r.notes.map(escape).join(' · ')}</div><div class="dp-body">${r.html}</div></body></html>`;
}
