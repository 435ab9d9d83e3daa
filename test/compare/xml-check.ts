// A small strict XML well-formedness checker for the tests (no dependency): prolog, one root
// element, properly nested and closed tags, quoted attributes without duplicates or raw '<',
// only the five predefined entities and numeric references, no forbidden characters.
// Returns the element tree so tests can look inside.
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(raw: string, where: string): string {
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) throw new Error(`bad entity or raw '&' in ${where}`);
  return raw
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
}

export function parseXml(doc: string): XmlElement {
  if (FORBIDDEN.test(doc)) throw new Error('document contains a character XML 1.0 forbids');
  let i = 0;
  const decl = /^<\?xml[^?]*\?>\s*/.exec(doc);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < doc.length) {
    if (doc.startsWith('<!--', i)) {
      const end = doc.indexOf('-->', i);
      if (end < 0) throw new Error('unclosed comment');
      i = end + 3;
    } else if (doc.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(doc.slice(i));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`</${m[1]}> does not close <${open?.name}>`);
      i += m[0].length;
    } else if (doc[i] === '<') {
      i++;
      const name = NAME.exec(doc.slice(i))?.[0];
      if (!name) throw new Error(`bad tag name at ${i}`);
      i += name.length;
      const el: XmlElement = { name, attributes: {}, children: [], text: '' };
      for (;;) {
        const m = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*"([^"<]*)"/.exec(doc.slice(i));
        if (!m) break;
        if (Object.hasOwn(el.attributes, m[1]!)) throw new Error(`duplicate attribute ${m[1]} on <${name}>`);
        el.attributes[m[1]!] = decode(m[2]!, `attribute ${m[1]}`);
        i += m[0].length;
      }
      const close = /^\s*(\/?)>/.exec(doc.slice(i));
      if (!close) throw new Error(`bad tag <${name}> at ${i}`);
      i += close[0].length;
      if (stack.length === 0) {
        if (root) throw new Error('more than one root element');
        root = el;
      } else stack[stack.length - 1]!.children.push(el);
      if (!close[1]) stack.push(el);
    } else {
      const next = doc.indexOf('<', i);
      const raw = doc.slice(i, next < 0 ? doc.length : next);
      if (raw.includes('>') && /]]>/.test(raw)) throw new Error("']]>' in text");
      if (stack.length === 0) {
        if (raw.trim() !== '') throw new Error('text outside the root element');
      } else stack[stack.length - 1]!.text += decode(raw, 'text');
      i = next < 0 ? doc.length : next;
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> not closed`);
  if (!root) throw new Error('no root element');
  return root;
}
