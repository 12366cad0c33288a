import { Parser } from 'htmlparser2';

/**
 * What the evidence viewer shows of a captured payload, faithful to its bytes and inert:
 *   - HTML (text/html, XHTML): the text of every element, in its structure, with no attribute of the page kept; a
 *     link shows its text and then its target as inert text, an image its alt text, a form field its value.
 *     Only scripts, styles and templates are left out (never visible on a page); the count is stated.
 *   - Every other textual type (CSV, plain text, JSON, XML, …): the text as it is, in a <pre>, never parsed as HTML.
 *   - Raster images: the image itself from a data: URL (the frame's CSP allows data: images and nothing else).
 *   - Anything else: a line saying what it is; the raw bytes are in the hex view beside the rendering.
 */
export interface RenderedCapture {
  mode: 'html' | 'text' | 'image' | 'binary';
  /** Safe HTML for the body of the sandboxed capture document. */
  html: string;
  /** What was left out or how the bytes were read, for the banner. */
  notes: string[];
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Structural tags kept as themselves (without attributes), so tables and lists keep their shape. */
const KEPT = new Set([
  'p', 'div', 'span', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead',
  'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'sub', 'sup', 'pre', 'code',
  'blockquote', 'section', 'article', 'header', 'footer', 'nav', 'main', 'aside', 'label', 'a', 'fieldset', 'legend',
  'figure', 'figcaption', 'details', 'summary', 'q', 'cite', 'abbr', 'mark', 'del', 'ins', 'address',
]);
const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'base', 'area', 'col', 'embed', 'param', 'source', 'track', 'wbr']);
/** Never shown by a browser: their content is code, not text. */
const HIDDEN = new Set(['script', 'style', 'template']);
/** Elements whose text a browser shows inside a control: set apart by spaces when unwrapped. */
const CONTROLS = new Set(['button', 'option', 'textarea', 'select', 'output', 'meter', 'progress']);
const MAX_TARGET = 300;

function targetText(url: string): string {
  const u = url.trim();
  return u.length > MAX_TARGET ? `${u.slice(0, MAX_TARGET)}…` : u;
}

/** The visible text of an HTML page in its structure, as inert HTML (see RenderedCapture). */
export function renderHtml(source: string): RenderedCapture {
  const out: string[] = [];
  type Open = { kind: 'hidden' | 'kept' | 'title' | 'unwrapped'; name: string; href?: string };
  const stack: Open[] = [];
  let hidden = 0;
  const removed = new Map<string, number>();
  let links = 0;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (hidden > 0 || HIDDEN.has(name)) {
          if (hidden === 0) removed.set(name, (removed.get(name) ?? 0) + 1);
          if (!VOID.has(name)) {
            hidden++;
            stack.push({ kind: 'hidden', name });
          }
          return;
        }
        if (name === 'img' || name === 'area') {
          const alt = attribs.alt ?? attribs.title ?? '';
          out.push(`<span class="dp-note">[${name === 'img' ? 'image' : 'area'}${alt ? `: ${escape(alt)}` : ''}]</span>`);
          return;
        }
        if (name === 'input') {
          const type = (attribs.type ?? 'text').toLowerCase();
          if (type === 'hidden') return;
          const value = attribs.value ?? attribs.placeholder ?? '';
          out.push(`<span class="dp-note">[${escape(type)} field${value ? `: ${escape(value)}` : ''}]</span>`);
          return;
        }
        if (VOID.has(name)) {
          if (name === 'br' || name === 'hr') out.push(`<${name}>`);
          return;
        }
        if (name === 'title') {
          out.push('<p class="dp-note">[page title] ');
          stack.push({ kind: 'title', name });
          return;
        }
        if (KEPT.has(name)) {
          out.push(`<${name}>`);
          stack.push(name === 'a' && attribs.href !== undefined ? { kind: 'kept', name, href: attribs.href } : { kind: 'kept', name });
          return;
        }
        if (CONTROLS.has(name)) out.push(' ');
        stack.push({ kind: 'unwrapped', name });
      },
      ontext(text) {
        if (hidden === 0) out.push(escape(text));
      },
      onclosetag(name) {
        if (VOID.has(name)) return; // void elements are never pushed
        const top = stack.pop();
        if (!top) return;
        if (top.kind === 'hidden') hidden--;
        else if (top.kind === 'title') out.push('</p>');
        else if (top.kind === 'unwrapped') {
          if (CONTROLS.has(top.name)) out.push(' ');
        } else {
          if (top.href !== undefined && top.href.trim() !== '') {
            links++;
            out.push(`<span class="dp-note"> [→ ${escape(targetText(top.href))}]</span>`);
          }
          out.push(`</${top.name}>`);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: false },
  );
  parser.write(source);
  parser.end();
  while (stack.length) {
    const top = stack.pop()!;
    if (top.kind === 'kept') out.push(`</${top.name}>`);
    else if (top.kind === 'title') out.push('</p>');
  }
  const notes: string[] = [];
  const gone = [...removed].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`);
  if (gone.length) notes.push(`not shown: ${gone.join(', ')} (code, never visible on a page)`);
  notes.push(`text of every element kept; attributes removed${links ? `; ${links} link target(s) shown as text` : ''}; images and form fields shown as [labels]`);
  return { mode: 'html', html: out.join(''), notes };
}

const TEXT_TYPES = /^(text\/|application\/(json|ld\+json|xml|javascript|x-ndjson|csv|yaml|x-yaml|sql|x-sql|warc-fields|http)\b|[^;]*\+(json|xml)\b)/i;
const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)\b/i;
const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)\b/i;

/** The charset a Content-Type names, if this runtime can decode it; utf-8 otherwise. */
function decoderFor(contentType: string | null): { decoder: TextDecoder; label: string } {
  const label = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase() ?? 'utf-8';
  try {
    return { decoder: new TextDecoder(label, { fatal: false }), label };
  } catch {
    return { decoder: new TextDecoder('utf-8', { fatal: false }), label: 'utf-8' };
  }
}

/** Bytes without a declared type: text if they decode as UTF-8 without control bytes other than whitespace. */
function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 64 * 1024);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.length < bytes.length ? sample.subarray(0, sample.lastIndexOf(0x0a) + 1 || sample.length) : sample);
  } catch {
    return false;
  }
  for (const b of sample) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
  return true;
}

/** Renders a captured payload by its media type (see RenderedCapture). */
export function renderCapture(bytes: Buffer, contentType: string | null): RenderedCapture {
  const type = (contentType ?? '').trim();
  if (HTML_TYPES.test(type)) {
    const { decoder, label } = decoderFor(type);
    const r = renderHtml(decoder.decode(bytes));
    return { ...r, notes: [`HTML (${label})`, ...r.notes] };
  }
  if (IMAGE_TYPES.test(type)) {
    const media = type.split(';')[0]!.toLowerCase();
    return { mode: 'image', html: `<img alt="captured image" src="data:${media};base64,${bytes.toString('base64')}">`, notes: [`${media} image, ${bytes.length} bytes`] };
  }
  if (TEXT_TYPES.test(type) || (!type && looksLikeText(bytes))) {
    const { decoder, label } = decoderFor(type);
    return { mode: 'text', html: `<pre class="dp-text">${escape(decoder.decode(bytes))}</pre>`, notes: [`${type || 'untyped text'} shown as text exactly as captured (${label}); it is not parsed as HTML`] };
  }
  return {
    mode: 'binary',
    html: `<p class="dp-note">Binary content${type ? ` of type ${escape(type)}` : ''}, ${bytes.length} bytes: not rendered. The hex view shows the bytes.</p>`,
    notes: [`${type || 'untyped'} binary content is not rendered`],
  };
}
