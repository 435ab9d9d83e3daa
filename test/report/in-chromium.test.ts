// The report tests that open pages in Chromium, in one process. Importing playwright-core and
// launching the browser cost ~1.5 CPU-s in each process that does it (measured here: importing
// playwright-core 0.6 s, a launch and one page 0.8-1.0 s more), more than most of these files'
// own checks; browser.ts shares the one browser and its one page. Each file
// still runs alone: `node --test dist/test/report/html-xss.browser.js`.
// Imported one after another, so each file's suites register, and run, in a stable order. A
// hook at a file's top is a hook of this whole process, run at once when registered: keep those
// to what cannot fail (a temp dir); a run, or anything that can, goes in the describe that needs it.
await import('./html.browser.js');
await import('./html-xss.browser.js');
await import('./html-layout.browser.js');
await import('./html-lab.browser.js');
await import('./html-long.browser.js');
