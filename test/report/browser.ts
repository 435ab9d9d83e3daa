// Opens a rendered report in Debian's chromium through playwright-core (no browser download)
// and reports what a user's browser would see: console errors, any network request the page
// tried, whether every chart canvas has pixels, the page text and, when asked, a screenshot.
// Not a test file itself (the name must not end in .test.ts: `npm test` runs every *.test.js).
// One browser per process, a fresh context (cookies, storage, routes, bindings) per page:
// launching chromium cost more CPU than everything a page check does (in-chromium.test.ts runs
// the report's browser tests in one process for that reason).
import { after } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['TWSTORM_CHROMIUM'] ?? '/usr/bin/chromium';

export interface PageReport {
  consoleErrors: string[];
  /** Every request the page made that was not for the report file itself (all were aborted). */
  requests: string[];
  /** Per chart: its id, how many canvases and how many non-white pixels they hold. */
  charts: Array<{ id: string; canvases: number; inked: number }>;
  /** data-charts on <html>: how many charts client.ts built. */
  built: number;
  text: string;
  /** A full-page PNG, taken only when options.screenshot asks: 40 % of an inspection's time. */
  screenshot: Buffer | null;
  /** Its size (0 when none was taken): a blank PNG compresses to almost nothing. */
  screenshotBytes: number;
  /** Arguments of every call the page made to the `__xss` binding (a payload that ran). */
  executed: string[];
  /** Content-Security-Policy violations the page reported: "directive sample". */
  cspViolations: string[];
  /** Elements a payload would add if it became markup: img, svg, iframe, on* attributes, javascript: links… */
  injected: string[];
  /** <script> elements in the document (twstorm writes three: data, uPlot, client). */
  scripts: number;
  /** What options.probe (an expression evaluated in the page after the charts are built) returned. */
  probe: unknown;
}

/** What a payload would leave in the DOM if it were parsed as markup instead of shown as text. */
const INJECTED_SCRIPT = `[...document.querySelectorAll('*')].flatMap((el) => {
  const found = [];
  const tag = el.tagName.toLowerCase();
  if (['img', 'svg', 'iframe', 'object', 'embed', 'base', 'form', 'a'].includes(tag) && !(tag === 'a' && el.closest('nav'))) found.push(tag);
  if (tag === 'meta' && /refresh/i.test(el.getAttribute('http-equiv') || '')) found.push('meta[refresh]');
  for (const attr of el.getAttributeNames()) if (/^on/i.test(attr)) found.push(tag + '[' + attr + ']');
  for (const attr of ['href', 'src', 'action', 'formaction']) {
    const v = el.getAttribute(attr);
    if (v && /^\s*javascript:/i.test(v)) found.push(tag + '[' + attr + '=javascript:]');
  }
  return found;
})`;

/** Counts non-white pixels on each chart's canvases (an empty canvas is all transparent). */
const INK_SCRIPT = `[...document.querySelectorAll('figure.chart')].map((fig) => {
  const canvases = [...fig.querySelectorAll('canvas')];
  let inked = 0;
  for (const canvas of canvases) {
    const ctx = canvas.getContext('2d');
    if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250)) inked++;
    }
  }
  return { id: fig.dataset.chart || '', canvases: canvases.length, inked };
})`;

let shared: Promise<Browser> | null = null;

/** The file's browser, launched on first use (again if it went away); closed after the file's tests. */
async function browserOnce(): Promise<Browser> {
  if (shared !== null) {
    const browser = await shared.catch(() => null);
    if (browser?.isConnected()) return browser;
  }
  // A launch that fails leaves playwright's own profile and artifacts directories in the temp
  // dir: a missing browser is said before any launch (a new machine without .ci/run's packages).
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed: the HTML report tests drive Debian's chromium (apt-get install chromium, as .ci/run does; or set TWSTORM_CHROMIUM)`);
  shared = chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return shared;
}

// Registered when a test file imports this module, so it runs after that file's last test.
after(async () => {
  const browser = await shared?.catch(() => null);
  shared = null;
  await browser?.close().catch(() => undefined);
});

export interface InspectOptions {
  /** Viewport width (px), 1280 by default. */
  width?: number;
  /** An expression evaluated in the page after the charts are built; its value is PageReport.probe. */
  probe?: string;
  /** Take a full-page screenshot (a 4,000 px report: ~1 s of chromium's CPU, more than the load). */
  screenshot?: boolean;
}

export async function inspectReport(html: string, options: InspectOptions = {}): Promise<PageReport> {
  // The browser first: a browser that cannot start leaves no page file behind.
  const browser = await browserOnce();
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 } });
  let dir: string | null = null;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-report-browser-'));
    const file = path.join(dir, 'report.html');
    await writeFile(file, html);
    const url = pathToFileURL(file).href;
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    // A payload that runs calls this binding (or would set a global, which the binding also
    // sees through its first argument): the XSS tests assert it was never called. Bindings and
    // init scripts come through the DevTools protocol, so the page's CSP does not block them.
    const executed: string[] = [];
    await page.exposeBinding('__xss', (_source, what: unknown) => {
      executed.push(String(what));
    });
    await page.addInitScript(
      "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', function (e) { window.__cspViolations.push(e.violatedDirective + ' ' + (e.sample || e.blockedURI)); });",
    );
    // Every request goes through here: the report file itself is served, anything else
    // (http, https, another file, a data: fetch) is recorded and refused.
    await context.route('**/*', async (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      requests.push(u);
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    // The page script runs in the browser, where tsconfig's lib (no DOM) does not apply: pass it as text.
    await page.waitForFunction("document.documentElement.hasAttribute('data-charts')", undefined, { timeout: 10_000 });
    const charts = (await page.evaluate(INK_SCRIPT)) as PageReport['charts'];
    const built = Number(await page.evaluate("document.documentElement.getAttribute('data-charts')"));
    const text = (await page.evaluate('document.body.innerText')) as string;
    const cspViolations = (await page.evaluate('window.__cspViolations')) as string[];
    const injected = (await page.evaluate(INJECTED_SCRIPT)) as string[];
    const scripts = (await page.evaluate('document.scripts.length')) as number;
    const probe = options.probe === undefined ? undefined : await page.evaluate(options.probe);
    const screenshot = options.screenshot === true ? await page.screenshot({ fullPage: true }) : null;
    return { consoleErrors, requests, charts, built, text, screenshot, screenshotBytes: screenshot?.length ?? 0, executed, cspViolations, injected, scripts, probe };
  } finally {
    await context.close().catch(() => undefined);
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}
