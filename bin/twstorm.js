#!/usr/bin/env node
// The compiled CLI lives in dist/ (npm run build); this shim keeps the bin path stable.
// `twstorm states` loads only what it needs (see src/cli/states-entry.ts); help and --version
// always come from the full CLI.
const [command, ...rest] = process.argv.slice(2);
const lean = command === 'states' && !rest.some((a) => a === '--help' || a === '-h' || a === '--version');
await import(lean ? '../dist/bundle/states-entry.js' : '../dist/bundle/main.js');
