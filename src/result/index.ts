/** The result model: its types, building it from a run, reading and writing result files, and its derived figures. */
export * from './model.js';
export { buildResult, type ResultInputs } from './build.js';
export { writeResult } from './write.js';
export { parseResult, parseResultText, readResult, readResultDirectory, readResults, refuseDuplicates, ResultFileError, MAX_RESULT_BYTES, READABLE_SERIES_SAMPLES } from './read.js';
export * from './figures.js';
