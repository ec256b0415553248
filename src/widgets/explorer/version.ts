/**
 * Model module name and version of the browser extension (widgets/package.json). The frontend
 * only renders a model whose `_model_module_version` its registered module satisfies; a unit test
 * checks these equal widgets/package.json.
 */
export const EXPLORER_MODULE = 'neardup-widgets';
export const EXPLORER_MODULE_VERSION = '0.1.0';
