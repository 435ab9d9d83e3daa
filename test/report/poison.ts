// Hostile results for the output tests: every string of a result (and every key of its data
// maps) replaced by a payload that would run script, break out of JSON in a <script>, start a
// comment, or drive a terminal, kept only where the result reader still accepts the file.
// Not a test file itself (the name must not end in .test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/result/model.js';
import { readResults } from '../../src/result/read.js';

/**
 * One payload per field, tagged with the field's number so a failure names the field: closing a
 * script element, an image and an SVG with handlers, a javascript: link, a comment opener, the
 * two JavaScript line terminators, an ANSI escape and a carriage return.
 */
export const payload = (tag: string): string =>
  `</script><script>__xss('${tag}:script')</script><img src=x onerror="__xss('${tag}:img')">` +
  `"'><svg onload="__xss('${tag}:svg')"><a href="javascript:__xss('${tag}:href')">j</a><!--\u2028\u2029\u001b[31m\r`;

/** Objects whose keys are data (codes, names, states), not structure: their keys get a payload too. */
const KEYED = [
  'errors',
  'summary.errors',
  'summary.serverErrors',
  'server.stats.errors',
  'environment.sysctls',
  'environment.sysctlsRequested',
  'series.driver.columns',
  'series.census.client',
  'series.census.server',
  'variant.values',
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Poisoned {
  result: RunResult;
  /** Field number → where it is, e.g. "scenario.name" or "summary.errors{EADDRNOTAVAIL}". */
  fields: Map<string, string>;
  /** Fields the reader refused with a payload in them (kept as they were). */
  refused: string[];
}

/** Whether `twstorm report`'s reader accepts this document as a result. */
async function readerAccepts(doc: Json): Promise<boolean> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-poison-'));
  const file = path.join(dir, 'probe.json');
  try {
    await writeFile(file, JSON.stringify(doc));
    await readResults(file);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Every string value, and every key of the KEYED maps, replaced one at a time by a payload;
 * a replacement the reader refuses (an enum, the schema tag) is undone. The result is the file
 * an attacker could get through the reader with the most payloads in it.
 */
export async function poison(original: RunResult, prefix: string): Promise<Poisoned> {
  const doc = structuredClone(original) as unknown as Json;
  const fields = new Map<string, string>();
  const refused: string[] = [];
  let n = 0;
  const tag = (where: string): string => {
    const id = `${prefix}${++n}`;
    fields.set(id, where);
    return id;
  };
  async function visit(node: Json, where: string): Promise<void> {
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, Json>;
    for (const key of Array.isArray(node) ? [...node.keys()].map(String) : Object.keys(obj)) {
      const at = where ? `${where}.${key}` : key;
      const value = obj[key]!;
      if (typeof value === 'string') {
        obj[key] = payload(tag(at));
        if (!(await readerAccepts(doc))) {
          obj[key] = value;
          refused.push(at);
        }
      } else {
        await visit(value, at);
      }
    }
    if (KEYED.includes(where) && !Array.isArray(node)) {
      for (const key of Object.keys(obj)) {
        const renamed = `${key}${payload(tag(`${where}{${key}}`))}`;
        const value = obj[key]!;
        delete obj[key];
        obj[renamed] = value;
        if (!(await readerAccepts(doc))) {
          delete obj[renamed];
          obj[key] = value;
          refused.push(`${where}{${key}}`);
        }
      }
    }
  }
  await visit(doc, '');
  return { result: doc as unknown as RunResult, fields, refused };
}

