/**
 * Kernel-side widgets: the {@link Widget} base class (ipywidgets protocol 2.1), the standard
 * @jupyter-widgets/controls models, and the notebook progress bar.
 */
export * from './base';
export * from './controls';
export * from './progress';
