#!/usr/bin/env node
// The `idcard-ocr` command. The project is TypeScript run through tsx (no build step), so this entry
// loads the CLI through tsx's scoped loader and leaves the rest of the process untouched.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
