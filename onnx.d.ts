// Types of `neardup/onnx` for TypeScript's classic (node10) resolution, which ignores package.json
// "exports" (tslab's kernel cells use it); the code is dist/onnx.js through "exports".
export * from './dist/onnx';
