// How untrusted text is made safe for each output twstorm writes. Scenario names, descriptions,
// variant labels, errno keys, sysctl names and every other string in a result file may come from
// a file someone was sent, so none may start markup in HTML or Markdown, break XML, or drive the
// terminal (an ANSI escape can rewrite earlier lines or hide text). One function per output, and
// every renderer goes through these: there is no second copy.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

// XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// With the u flag a lone surrogate matches none of these ranges, so it is dropped too.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for XML content or attributes: escaped, and characters XML 1.0 forbids dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML_CHAR, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

// C0 controls (tab and newline handled by the caller's choice), DEL, C1 controls, and the ESC/CSI
// sequences they start. An ANSI CSI is ESC [ params final; OSC is ESC ] … BEL or ESC \ (it can
// set the window title or write a hyperlink). Removing the whole sequence, not just the ESC,
// keeps "[31m" litter out of the line.
const ANSI_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Unicode bidi overrides and isolates can make a line read differently from what it holds.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a file for one terminal line: ANSI escape sequences, carriage returns, other C0/C1
 * controls and bidi overrides removed; a newline or tab becomes a space so one value stays on
 * its line.
 */
export function stripControl(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(/[\t\n\r\u2028\u2029]/g, ' ').replace(CONTROL, '').replace(BIDI, '');
}

// CommonMark lets a backslash escape any ASCII punctuation; these are the ones that start inline
// markup mid-line: emphasis, code spans, links and images (both need "["), strikethrough, table
// cells. Autolinks need "<", which becomes an entity.
const MARKDOWN_SPECIAL = /[\\`*_[\]~|]/g;

/**
 * Text for a Markdown line or table cell: no HTML (< > & become entities, which GitHub shows as
 * the characters), no inline markup (backslash-escaped), no line break (one cell stays one cell),
 * no control characters.
 */
export function escapeMarkdown(text: string): string {
  return stripControl(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
}
