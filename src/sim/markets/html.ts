// Small HTML helpers. Everything the world puts into a page is escaped: sim text is data, never markup.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function h(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Escapes text and turns newlines into `<br/>` the way markets print user text. */
export function hBreaks(text: string): string {
  return h(text).replace(/\r?\n/g, '<br/>\n');
}

/** Path-segment encoding for handles and ids inside URLs. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Writes one character of `word` as a numeric character reference (`Version` → `&#86;ersion`), as the
 * sanitisers of real markets do. `index` picks which character; the text is otherwise escaped normally.
 */
export function entityInside(word: string, index: number): string {
  const i = Math.max(0, Math.min(word.length - 1, index));
  return h(word.slice(0, i)) + `&#${word.charCodeAt(i)};` + h(word.slice(i + 1));
}

export interface PageOptions {
  title: string;
  /** Extra markup for <head> (a style block). */
  head?: string;
  body: string;
  bodyClass?: string;
}

export function page({ title, head = '', body, bodyClass }: PageOptions): string {
  const cls = bodyClass ? ` class="${h(bodyClass)}"` : '';
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${h(title)}</title>\n${head}</head>\n<body${cls}>\n${body}\n</body>\n</html>\n`;
}

/** decodeURIComponent that answers "" for malformed escapes (hostile URLs must give 404, not an error). */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
