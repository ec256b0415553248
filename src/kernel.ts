/**
 * `neardup/kernel`: the Jupyter kernel (tslab plus the comm layer): start one, install its
 * kernelspec and the explorer's JupyterLab extension, and the comm manager widgets talk through
 * (see docs/kernel.md).
 */
export { startKernel, DEFAULT_MAX_COMM_BYTES, type KernelOptions, type RunningKernel } from './kernel/server';
export { getCommManager, Comm, CommManager, type CommTransport, type JSONObject, type BinaryFrames } from './kernel/comm';
export {
  installKernelspec,
  installLabextension,
  builtLabextension,
  kernelSpec,
  userDataDir,
  prefixDataDir,
  KERNEL_NAME,
  KERNEL_DISPLAY_NAME,
  LABEXTENSION_NAME,
} from './kernel/install';
