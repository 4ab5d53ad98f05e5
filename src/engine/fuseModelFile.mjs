// Child-process entry of modelCache.ts: fuses one model file into another, so the rewrite's transient
// buffers (≈ 40 MB that glibc keeps in the process once freed) live and die in this short-lived process,
// not in the service. Usage: node fuseModelFile.mjs SHIPPED.onnx OUT.onnx OUT.json
// It writes OUT.json (the FuseReport) and then OUT.onnx, each through a temporary name and a rename.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

const [src, outModel, outReport] = process.argv.slice(2);
const { fuseAffineActivations } = await tsImport('./fuseGraph.ts', import.meta.url);
const { model, report } = fuseAffineActivations(new Uint8Array(readFileSync(src)));
const temp = (p) => `${p}.${process.pid}.tmp`;
writeFileSync(temp(outReport), JSON.stringify(report));
renameSync(temp(outReport), outReport);
writeFileSync(temp(outModel), model);
renameSync(temp(outModel), outModel);
