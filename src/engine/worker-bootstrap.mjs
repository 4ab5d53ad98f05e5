// Entry file of a pool worker thread. Worker threads do not inherit the TypeScript loader of the thread
// that made them in every runner (`npx tsx`, vitest, plain node running bin/), so this plain-JS entry
// imports the TypeScript worker through tsx's scoped loader, which affects only this import tree.
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./worker.ts', import.meta.url);
export default worker.default;
