/**
 * `neardup/widgets`: the kernel side of the ipywidgets 2.1 protocol: the `Widget` base class and
 * standard controls (`IntSlider`, `FloatSlider`, `Button`, `Dropdown`, boxes, `Output`, …),
 * `display`, and `progressBar` (see docs/kernel.md). Usable in a `neardup` kernel cell.
 */
export {
  Widget,
  display,
  registerWidgetControl,
  serializeState,
  syncedProperties,
  PROTOCOL_VERSION,
  WIDGET_VIEW_MIMETYPE,
  WIDGET_TARGET,
  CONTROL_TARGET,
  MIME_BUNDLE,
  type WidgetSpec,
  type Change,
} from './widgets/base';
export {
  DOMWidget,
  Layout,
  Style,
  IntSlider,
  FloatSlider,
  FloatRangeSlider,
  IntProgress,
  FloatProgress,
  Button,
  Checkbox,
  Dropdown,
  Text,
  HTML,
  Image,
  HBox,
  VBox,
  GridBox,
  Output,
} from './widgets/controls';
export { progressBar, type ProgressBarOptions, type ProgressCallback } from './widgets/progress';
