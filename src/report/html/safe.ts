// How the page is kept free of any script but its own. Two layers, because one missed escape
// must not be enough to run code from a result file someone was sent:
// 1. `html` is a tagged template that escapes every interpolated value unless it is already an
//    `Html` fragment built the same way, so a new field dropped into a template is escaped by
//    default and raw text needs a visible `trusted(...)`.
// 2. The Content-Security-Policy names the sha256 of each inline <script> and <style> twstorm
//    wrote; the browser runs nothing else (no injected <script>, no on* handler, no javascript:
//    URL). Hashes rather than a nonce: the page is a static file, a nonce would only be a hash
//    that changes on every render.
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../util/escape.js';

/** A piece of markup that is already safe: built by `html` or marked `trusted` by twstorm's own code. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  // `cond && html\`…\`` yields false when the condition does not hold: nothing to print.
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Markup with every `${value}` escaped (arrays joined, Html fragments kept, null/false dropped). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup twstorm wrote itself (constants, its own CSS and JS): never a value from a file. */
export const trusted = (markup: string): Html => new Html(markup);

/**
 * JSON safe to place inside <script type="application/json">: "</script>" or "<!--" in a
 * string must not end the element or open a comment state, and U+2028/U+2029 must not break
 * older parsers. The escapes are JSON's own, so JSON.parse returns the original text.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Inline JS/CSS from a file must not contain the closing tag of its own element. Line endings
 * are made \n: the HTML parser turns \r\n into \n before the browser hashes the element, and
 * the CSP hash is taken of this text, so both must see the same bytes.
 */
export function inlineSafe(source: string, tag: 'script' | 'style'): string {
  return source.replace(/\r\n?/g, '\n').replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`);
}

/** The CSP source expression that allows exactly this inline element body. */
export function cspHash(body: string): string {
  return `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`;
}

/**
 * The page's policy: nothing by default; only the listed inline scripts and styles. uPlot sets
 * element styles through the CSSOM (el.style.x = …), which CSP does not restrict, and uses no
 * eval, so neither 'unsafe-inline' nor 'unsafe-eval' is needed. No base, no form target, no
 * images, frames or connections: the report is one offline file.
 */
export function contentSecurityPolicy(scripts: string[], styles: string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(cspHash).join(' ')}`,
    `style-src ${styles.map(cspHash).join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
