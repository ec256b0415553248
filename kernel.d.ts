// Types of `neardup/kernel` for TypeScript's classic (node10) resolution, which ignores package.json
// "exports" (tslab's kernel cells use it); the code is dist/kernel.js through "exports".
export * from './dist/kernel';
