// Escaping for the two places untrusted text lands in the page: HTML text/attributes, and JSON
// inside a <script> element. Scenario names, descriptions and variant labels come from files a
// user may have been sent, so none of them may close a tag or start markup.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON safe to place inside <script type="application/json">: "</script>" or "<!--" in a
 * string must not end the element, and U+2028/U+2029 must not break older parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Inline JS/CSS from a file must not contain the closing tag of its own element. */
export function inlineSafe(source: string, tag: 'script' | 'style'): string {
  return source.replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`);
}
