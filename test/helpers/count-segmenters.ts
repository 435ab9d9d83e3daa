// Loaded with `--import` into a CLI process (test/cli/usage.test.ts): counts the Intl.Segmenter
// objects the process builds and prints the count on stderr at exit. string-width builds one
// when its module is evaluated (7 ms of CPU); scripts/bundle.mjs defers that to the first width
// asked for, which only help text asks.
const Segmenter = Intl.Segmenter;
let built = 0;
// Intl's properties are writable at run time; TypeScript's lib declares them read-only.
Object.defineProperty(Intl, 'Segmenter', {
  configurable: true,
  writable: true,
  value: class extends Segmenter {
    constructor(...args: ConstructorParameters<typeof Intl.Segmenter>) {
      super(...args);
      built++;
    }
  },
});
process.on('exit', () => process.stderr.write(`Intl.Segmenter built: ${built}\n`));
