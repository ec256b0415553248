// The model module name and version come from this package's package.json, so the kernel side
// (which reads the same file) and the browser side can never disagree.
declare const require: (path: string) => { name: string; version: string };
const pkg = require('../package.json');

export const MODULE_NAME: string = pkg.name;
export const MODULE_VERSION: string = pkg.version;
