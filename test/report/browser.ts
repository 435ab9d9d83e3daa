// Opens a rendered report in Debian's chromium through playwright-core (no browser download)
// and reports what a user's browser would see: console errors, any network request the page
// tried, whether every chart canvas has pixels, the page text and, when asked, a screenshot.
// Not a test file itself (the name must not end in .test.ts: `npm test` runs every *.test.js).
// One browser and one page per process, each report a navigation of that page (sessionOnce
// says why): launching chromium cost more CPU than everything a page check does
// (in-chromium.test.ts runs the report's browser tests in one process for that reason).
import { after } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

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

/** What the one page reports for the inspection under way: the page's listeners write here. */
interface Inspection {
  url: string;
  consoleErrors: string[];
  requests: string[];
  executed: string[];
}

interface Session {
  browser: Browser;
  page: Page;
  /** Null between inspections: anything the page does then is not any inspection's. */
  current: Inspection | null;
}

let shared: Promise<Session> | null = null;

/**
 * The process's browser and its one page, made on first use (again after a failure). One page
 * for every inspection, each a navigation to a new file: a fresh context per inspection cost
 * 2.0 CPU-s of chromium for the report this file's tests open most (a new renderer process, and
 * the page built from nothing), a navigation of one page 0.36 (measured here, 5 of each). Nothing
 * an inspection could leave behind is read by the next: a navigation replaces the document and
 * its scripts, and a report reads no cookie or storage. A binding and the listeners are set once
 * and write to the inspection under way.
 */
async function sessionOnce(): Promise<Session> {
  if (shared !== null) {
    const session = await shared.catch(() => null);
    if (session !== null && session.browser.isConnected() && !session.page.isClosed()) return session;
  }
  // A launch that fails leaves playwright's own profile and artifacts directories in the temp
  // dir: a missing browser is said before any launch (a new machine without .ci/run's packages).
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed: the HTML report tests drive Debian's chromium (apt-get install chromium, as .ci/run does; or set TWSTORM_CHROMIUM)`);
  shared = (async () => {
    const browser = await chromium.launch({
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
    // A setup that fails after the launch closes its browser: nothing else could reach it.
    try {
      return await setUp(browser);
    } catch (err) {
      await browser.close().catch(() => undefined);
      throw err;
    }
  })();
  return shared;
}

/** The one page, its listeners, the `__xss` binding and the request route, set once. */
async function setUp(browser: Browser): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const session: Session = { browser, page, current: null };
  page.on('console', (msg) => {
    if (msg.type() === 'error') session.current?.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => session.current?.consoleErrors.push(String(err)));
  // A payload that runs calls this binding (or would set a global, which the binding also
  // sees through its first argument): the XSS tests assert it was never called. Bindings and
  // init scripts come through the DevTools protocol, so the page's CSP does not block them.
  await page.exposeBinding('__xss', (_source, what: unknown) => {
    session.current?.executed.push(String(what));
  });
  await page.addInitScript(
    "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', function (e) { window.__cspViolations.push(e.violatedDirective + ' ' + (e.sample || e.blockedURI)); });",
  );
  // Every request goes through here: the report file itself is served, anything else
  // (http, https, another file, a data: fetch) is recorded and refused.
  await context.route('**/*', async (route) => {
    const u = route.request().url();
    if (session.current !== null && u === session.current.url) return route.continue();
    session.current?.requests.push(u);
    return route.abort();
  });
  return session;
}

// Registered when a test file imports this module, so it runs after that file's last test.
after(async () => {
  const session = await shared?.catch(() => null);
  shared = null;
  await session?.browser.close().catch(() => undefined);
});

/** Inspections take the one page in turn (the layout tests start several at once). */
let queue: Promise<unknown> = Promise.resolve();

export interface InspectOptions {
  /** Viewport width (px), 1280 by default. */
  width?: number;
  /** An expression evaluated in the page after the charts are built; its value is PageReport.probe. */
  probe?: string;
  /** Take a full-page screenshot (a 4,000 px report: ~1 s of chromium's CPU, more than the load). */
  screenshot?: boolean;
  /** Lay the page out for print (the width is then the paper's: 718 px is A4 inside its margins). */
  print?: boolean;
}

export function inspectReport(html: string, options: InspectOptions = {}): Promise<PageReport> {
  const turn = queue.then(() => inspect(html, options));
  queue = turn.catch(() => undefined);
  return turn;
}

async function inspect(html: string, options: InspectOptions): Promise<PageReport> {
  // The browser first: a browser that cannot start leaves no page file behind.
  const session = await sessionOnce();
  const { page } = session;
  let dir: string | null = null;
  let ok = false;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-report-browser-'));
    const file = path.join(dir, 'report.html');
    await writeFile(file, html);
    const url = pathToFileURL(file).href;
    const current: Inspection = { url, consoleErrors: [], requests: [], executed: [] };
    await page.setViewportSize({ width: options.width ?? 1280, height: 900 });
    // Set on every inspection: the one page keeps its emulated media from one to the next.
    await page.emulateMedia({ media: options.print === true ? 'print' : 'screen' });
    session.current = current;
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
    // Off the report before the next one: its timers and charts stop, and the page is blank.
    session.current = null;
    await page.goto('about:blank');
    ok = true;
    const { consoleErrors, requests, executed } = current;
    return { consoleErrors, requests, charts, built, text, screenshot, screenshotBytes: screenshot?.length ?? 0, executed, cspViolations, injected, scripts, probe };
  } finally {
    session.current = null;
    // A page left mid-inspection (a timeout, a crash) is not reused: the next inspection gets a new browser.
    if (!ok) {
      shared = null;
      await session.browser.close().catch(() => undefined);
    }
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}
