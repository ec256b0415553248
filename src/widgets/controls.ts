/**
 * Standard controls, backed by the @jupyter-widgets/controls 2.0.0 models that every JupyterLab
 * with ipywidgets 8 renders. State keys and defaults follow ipywidgets 8.1 (`get_state()` of the
 * Python classes), so notebooks saved with these widgets render like ipywidgets' own.
 */
import { Widget, syncedProperties, type WidgetSpec, type Change } from './base';
import { getCommManager } from '../kernel/comm';
import { NeardupError } from '../errors';

const CONTROLS = '@jupyter-widgets/controls';
const BASE = '@jupyter-widgets/base';
const V2 = '2.0.0';

function spec(model: string, view: string, module = CONTROLS, viewModule = CONTROLS, version = V2): WidgetSpec {
  return {
    modelModule: module,
    modelModuleVersion: version,
    modelName: model,
    viewModule,
    viewModuleVersion: version,
    viewName: view,
  };
}

// ---------------------------------------------------------------------------------------------
// Layout and styles

const LAYOUT_KEYS = [
  'align_content', 'align_items', 'align_self', 'border_bottom', 'border_left', 'border_right', 'border_top',
  'bottom', 'display', 'flex', 'flex_flow', 'grid_area', 'grid_auto_columns', 'grid_auto_flow',
  'grid_auto_rows', 'grid_column', 'grid_gap', 'grid_row', 'grid_template_areas', 'grid_template_columns',
  'grid_template_rows', 'height', 'justify_content', 'justify_items', 'left', 'margin', 'max_height',
  'max_width', 'min_height', 'min_width', 'object_fit', 'object_position', 'order', 'overflow', 'padding',
  'right', 'top', 'visibility', 'width',
] as const;

/** CSS properties of a widget's box (the `layout` of every control). Values are CSS strings. */
export type LayoutState = { [K in (typeof LAYOUT_KEYS)[number]]: string | null };

/** `LayoutModel` from @jupyter-widgets/base: sizes, margins, flex and grid settings. */
export class Layout extends Widget<LayoutState> {
  constructor(init: Partial<LayoutState> = {}) {
    const defaults = Object.fromEntries(LAYOUT_KEYS.map((k) => [k, null])) as LayoutState;
    super(spec('LayoutModel', 'LayoutView', BASE, BASE), { ...defaults, ...init });
  }
}
// `display` is left to get/set: a property would hide Widget.display().
export interface Layout extends Omit<LayoutState, 'display'> {}
syncedProperties(Layout, LAYOUT_KEYS.filter((k) => k !== 'display'));

/** A style model (`SliderStyleModel`, `ButtonStyleModel`, ...); keys depend on the control. */
export class Style extends Widget<Record<string, string | null>> {
  constructor(modelName: string, init: Record<string, string | null>) {
    super(spec(modelName, 'StyleView', CONTROLS, BASE), init);
  }
}

const STYLE_DEFAULTS: Record<string, Record<string, string | null>> = {
  DescriptionStyleModel: { description_width: '' },
  SliderStyleModel: { description_width: '', handle_color: null },
  ProgressStyleModel: { bar_color: null, description_width: '' },
  CheckboxStyleModel: { background: null, description_width: '' },
  TextStyleModel: { background: null, description_width: '', font_size: null, text_color: null },
  HTMLStyleModel: { background: null, description_width: '', font_size: null, text_color: null },
  ButtonStyleModel: {
    button_color: null, font_family: null, font_size: null, font_style: null, font_variant: null,
    font_weight: null, text_color: null, text_decoration: null,
  },
};

/** Options every DOM control accepts besides its own state. */
export interface DOMOptions {
  /** A Layout, or plain CSS settings turned into one. */
  layout?: Layout | Partial<LayoutState>;
  /** A Style, or plain style settings (e.g. `{description_width: 'initial'}`). */
  style?: Style | Record<string, string | null>;
  tooltip?: string | null;
  _dom_classes?: string[];
}

function layoutOf(l: DOMOptions['layout']): Layout {
  return l instanceof Layout ? l : new Layout(l ?? {});
}

function styleOf(model: string, s: DOMOptions['style']): Style {
  return s instanceof Style ? s : new Style(model, { ...STYLE_DEFAULTS[model], ...(s ?? {}) });
}

/** State shared by DOM controls. */
export interface DOMState {
  _dom_classes: string[];
  layout: Layout;
  tabbable: boolean | null;
  tooltip: string | null;
}

function domState(opts: DOMOptions & Record<string, any>): DOMState {
  return {
    _dom_classes: opts._dom_classes ?? [],
    layout: layoutOf(opts.layout),
    tabbable: null,
    tooltip: opts.tooltip ?? null,
  };
}

/** Base of the controls: a widget with `layout` (and usually `style`). */
export class DOMWidget<S extends DOMState = DOMState> extends Widget<S> {
  declare layout: Layout;
}
syncedProperties(DOMWidget, ['layout', 'tooltip', '_dom_classes']);

function withoutDom<T extends Record<string, any>>(opts: T): Omit<T, 'layout' | 'style'> {
  const { layout, style, ...rest } = opts;
  void layout;
  void style;
  return rest;
}

/** Shared state of controls with a description label. */
export interface DescriptionState extends DOMState {
  description: string;
  description_allow_html: boolean;
  style: Style;
}

// ---------------------------------------------------------------------------------------------
// Sliders

export interface IntSliderState extends DescriptionState {
  value: number;
  min: number;
  max: number;
  step: number;
  behavior: string;
  continuous_update: boolean;
  disabled: boolean;
  orientation: 'horizontal' | 'vertical';
  readout: boolean;
  readout_format: string;
}
export type IntSliderOptions = Partial<Omit<IntSliderState, 'layout' | 'style'>> & DOMOptions;

const SLIDER_KEYS = [
  'value', 'min', 'max', 'step', 'description', 'disabled', 'continuous_update', 'orientation', 'readout',
  'readout_format', 'behavior', 'style', 'description_allow_html',
] as const;

function sliderState(opts: IntSliderOptions, floatish: boolean): IntSliderState {
  return {
    ...domState(opts),
    style: styleOf('SliderStyleModel', opts.style),
    description: '',
    description_allow_html: false,
    value: 0,
    min: 0,
    max: 100,
    step: floatish ? 0.1 : 1,
    behavior: 'drag-tap',
    continuous_update: true,
    disabled: false,
    orientation: 'horizontal',
    readout: true,
    readout_format: floatish ? '.2f' : 'd',
    ...withoutDom(opts),
  };
}

/** An integer slider (`IntSliderModel`). `value` is what the browser last set. */
export class IntSlider extends DOMWidget<IntSliderState> {
  constructor(opts: IntSliderOptions = {}) {
    super(spec('IntSliderModel', 'IntSliderView'), sliderState(opts, false));
  }
}
export interface IntSlider extends Omit<IntSliderState, 'layout'> {}
syncedProperties(IntSlider, SLIDER_KEYS);

export type FloatSliderState = IntSliderState;
export type FloatSliderOptions = IntSliderOptions;

/** A float slider (`FloatSliderModel`); `step` defaults to 0.1. */
export class FloatSlider extends DOMWidget<FloatSliderState> {
  constructor(opts: FloatSliderOptions = {}) {
    super(spec('FloatSliderModel', 'FloatSliderView'), sliderState(opts, true));
  }
}
export interface FloatSlider extends Omit<FloatSliderState, 'layout'> {}
syncedProperties(FloatSlider, SLIDER_KEYS);

export interface FloatRangeSliderState extends Omit<IntSliderState, 'value'> {
  value: [number, number];
}
export type FloatRangeSliderOptions = Partial<Omit<FloatRangeSliderState, 'layout' | 'style'>> & DOMOptions;

/** A two-handle float slider (`FloatRangeSliderModel`); `value` is `[low, high]`. */
export class FloatRangeSlider extends DOMWidget<FloatRangeSliderState> {
  constructor(opts: FloatRangeSliderOptions = {}) {
    const { value, ...rest } = opts;
    super(spec('FloatRangeSliderModel', 'FloatRangeSliderView'), {
      ...sliderState(rest, true),
      value: value ?? [25, 75],
    });
  }
}
export interface FloatRangeSlider extends Omit<FloatRangeSliderState, 'layout'> {}
syncedProperties(FloatRangeSlider, SLIDER_KEYS);

// ---------------------------------------------------------------------------------------------
// Progress

export interface ProgressState extends DescriptionState {
  value: number;
  min: number;
  max: number;
  bar_style: '' | 'success' | 'info' | 'warning' | 'danger';
  orientation: 'horizontal' | 'vertical';
}
export type ProgressOptions = Partial<Omit<ProgressState, 'layout' | 'style'>> & DOMOptions;
const PROGRESS_KEYS = ['value', 'min', 'max', 'bar_style', 'orientation', 'description', 'style'] as const;

function progressState(opts: ProgressOptions): ProgressState {
  return {
    ...domState(opts),
    style: styleOf('ProgressStyleModel', opts.style),
    description: '',
    description_allow_html: false,
    value: 0,
    min: 0,
    max: 100,
    bar_style: '',
    orientation: 'horizontal',
    ...withoutDom(opts),
  };
}

/** An integer progress bar (`IntProgressModel`). */
export class IntProgress extends DOMWidget<ProgressState> {
  constructor(opts: ProgressOptions = {}) {
    super(spec('IntProgressModel', 'ProgressView'), progressState(opts));
  }
}
export interface IntProgress extends Omit<ProgressState, 'layout'> {}
syncedProperties(IntProgress, PROGRESS_KEYS);

/** A float progress bar (`FloatProgressModel`). */
export class FloatProgress extends DOMWidget<ProgressState> {
  constructor(opts: ProgressOptions = {}) {
    super(spec('FloatProgressModel', 'ProgressView'), progressState(opts));
  }
}
export interface FloatProgress extends Omit<ProgressState, 'layout'> {}
syncedProperties(FloatProgress, PROGRESS_KEYS);

// ---------------------------------------------------------------------------------------------
// Button, Checkbox, Dropdown, Text, HTML, Image

export interface ButtonState extends DOMState {
  description: string;
  button_style: '' | 'primary' | 'success' | 'info' | 'warning' | 'danger';
  disabled: boolean;
  icon: string;
  style: Style;
}
export type ButtonOptions = Partial<Omit<ButtonState, 'layout' | 'style'>> & DOMOptions;

/** A button (`ButtonModel`). `on('click', cb)` runs `cb` when it is clicked in the browser. */
export class Button extends DOMWidget<ButtonState> {
  constructor(opts: ButtonOptions = {}) {
    super(spec('ButtonModel', 'ButtonView'), {
      ...domState(opts),
      style: styleOf('ButtonStyleModel', opts.style),
      description: '',
      button_style: '',
      disabled: false,
      icon: '',
      ...withoutDom(opts),
    });
    // The view sends {event: 'click'} as a custom message.
    super.on('msg:custom', (content: any) => {
      if (content && content.event === 'click') this.click();
    });
  }

  /** Runs the click callbacks, as a browser click does. */
  click(): void {
    for (const cb of this.clickHandlers) cb(this);
  }

  /** Adds a click callback. */
  onClick(cb: (b: Button) => void): this {
    this.clickHandlers.push((b) => {
      try {
        cb(b);
      } catch (err) {
        const e = err as Error;
        process.stderr.write(`Error in button click callback: ${e && e.stack ? e.stack : String(err)}\n`);
      }
    });
    return this;
  }

  private clickHandlers: Array<(b: Button) => void> = [];

  on(event: string, cb: (...args: any[]) => void): this {
    if (event === 'click') return this.onClick(cb as (b: Button) => void);
    return super.on(event, cb);
  }
}
export interface Button extends Omit<ButtonState, 'layout'> {}
syncedProperties(Button, ['description', 'button_style', 'disabled', 'icon', 'style']);

export interface CheckboxState extends DescriptionState {
  value: boolean;
  disabled: boolean;
  indent: boolean;
}
export type CheckboxOptions = Partial<Omit<CheckboxState, 'layout' | 'style'>> & DOMOptions;

/** A checkbox (`CheckboxModel`). */
export class Checkbox extends DOMWidget<CheckboxState> {
  constructor(opts: CheckboxOptions = {}) {
    super(spec('CheckboxModel', 'CheckboxView'), {
      ...domState(opts),
      style: styleOf('CheckboxStyleModel', opts.style),
      description: '',
      description_allow_html: false,
      value: false,
      disabled: false,
      indent: true,
      ...withoutDom(opts),
    });
  }
}
export interface Checkbox extends Omit<CheckboxState, 'layout'> {}
syncedProperties(Checkbox, ['value', 'description', 'disabled', 'indent', 'style']);

export interface DropdownState extends DescriptionState {
  _options_labels: string[];
  index: number | null;
  disabled: boolean;
}
/** Options are labels, or `[label, value]` pairs. */
export type DropdownOptions<T> = {
  options: Array<string | [string, T]>;
  value?: T;
  index?: number | null;
  description?: string;
  disabled?: boolean;
} & DOMOptions;

/**
 * A dropdown (`DropdownModel`). The browser syncs `index`; `value` and `label` are derived from
 * it. `on('change:index', …)` fires on every selection.
 */
export class Dropdown<T = string> extends DOMWidget<DropdownState> {
  private readonly values: T[];
  constructor(opts: DropdownOptions<T>) {
    const labels = opts.options.map((o) => (Array.isArray(o) ? o[0] : o));
    const values = opts.options.map((o) => (Array.isArray(o) ? o[1] : (o as unknown as T)));
    let index = opts.index ?? (labels.length > 0 ? 0 : null);
    if (opts.value !== undefined) {
      const i = values.indexOf(opts.value);
      if (i < 0) throw new NeardupError(`Dropdown value ${JSON.stringify(opts.value)} is not one of its options`, 'invalid_argument');
      index = i;
    }
    super(spec('DropdownModel', 'DropdownView'), {
      ...domState(opts),
      style: styleOf('DescriptionStyleModel', opts.style),
      description: opts.description ?? '',
      description_allow_html: false,
      _options_labels: labels,
      index,
      disabled: opts.disabled ?? false,
    });
    this.values = values;
  }

  /** The selected option's value (null when nothing is selected). */
  get value(): T | null {
    const i = this.get('index');
    return i === null || i === undefined ? null : this.values[i] ?? null;
  }
  set value(v: T | null) {
    this.set('index', v === null ? null : this.values.indexOf(v));
  }

  /** The selected option's label. */
  get label(): string | null {
    const i = this.get('index');
    return i === null || i === undefined ? null : this.get('_options_labels')[i] ?? null;
  }
}
export interface Dropdown<T> {
  index: number | null;
  description: string;
  disabled: boolean;
}
syncedProperties(Dropdown, ['index', 'description', 'disabled']);

export interface TextState extends DescriptionState {
  value: string;
  placeholder: string;
  continuous_update: boolean;
  disabled: boolean;
}
export type TextOptions = Partial<Omit<TextState, 'layout' | 'style'>> & DOMOptions;

/** A single-line text box (`TextModel`). */
export class Text extends DOMWidget<TextState> {
  constructor(opts: TextOptions = {}) {
    super(spec('TextModel', 'TextView'), {
      ...domState(opts),
      style: styleOf('TextStyleModel', opts.style),
      description: '',
      description_allow_html: false,
      value: '',
      placeholder: '\u200b',
      continuous_update: true,
      disabled: false,
      ...withoutDom(opts),
    });
  }
}
export interface Text extends Omit<TextState, 'layout'> {}
syncedProperties(Text, ['value', 'placeholder', 'description', 'disabled', 'continuous_update', 'style']);

export interface HTMLState extends DescriptionState {
  value: string;
  placeholder: string;
}
export type HTMLOptions = Partial<Omit<HTMLState, 'layout' | 'style'>> & DOMOptions;

/** A block of HTML (`HTMLModel`); set `value` to change it. */
export class HTML extends DOMWidget<HTMLState> {
  constructor(opts: HTMLOptions = {}) {
    super(spec('HTMLModel', 'HTMLView'), {
      ...domState(opts),
      style: styleOf('HTMLStyleModel', opts.style),
      description: '',
      description_allow_html: false,
      value: '',
      placeholder: '\u200b',
      ...withoutDom(opts),
    });
  }
}
export interface HTML extends Omit<HTMLState, 'layout'> {}
syncedProperties(HTML, ['value', 'placeholder', 'description', 'style']);

export interface ImageState extends DOMState {
  value: Uint8Array | ArrayBuffer | DataView;
  format: string;
  width: string;
  height: string;
}
export type ImageOptions = Partial<Omit<ImageState, 'layout'>> & Omit<DOMOptions, 'style'>;

/** An image from encoded bytes (`ImageModel`); `value` travels as a binary buffer. */
export class Image extends DOMWidget<ImageState> {
  constructor(opts: ImageOptions = {}) {
    super(spec('ImageModel', 'ImageView'), {
      ...domState(opts),
      value: new Uint8Array(0),
      format: 'png',
      width: '',
      height: '',
      ...withoutDom(opts),
    });
  }
}
export interface Image extends Omit<ImageState, 'layout'> {}
syncedProperties(Image, ['value', 'format', 'width', 'height']);

// ---------------------------------------------------------------------------------------------
// Boxes

export interface BoxState extends DOMState {
  children: Widget<any>[];
  box_style: '' | 'success' | 'info' | 'warning' | 'danger';
}
export type BoxOptions = Partial<Omit<BoxState, 'layout'>> & Omit<DOMOptions, 'style'>;

function boxState(children: Widget<any>[], opts: BoxOptions): BoxState {
  return { ...domState(opts), box_style: '', ...withoutDom(opts), children };
}

/** Children side by side (`HBoxModel`). */
export class HBox extends DOMWidget<BoxState> {
  constructor(children: Widget<any>[] = [], opts: BoxOptions = {}) {
    super(spec('HBoxModel', 'HBoxView'), boxState(children, opts));
  }
}
export interface HBox extends Omit<BoxState, 'layout'> {}
syncedProperties(HBox, ['children', 'box_style']);

/** Children stacked vertically (`VBoxModel`). */
export class VBox extends DOMWidget<BoxState> {
  constructor(children: Widget<any>[] = [], opts: BoxOptions = {}) {
    super(spec('VBoxModel', 'VBoxView'), boxState(children, opts));
  }
}
export interface VBox extends Omit<BoxState, 'layout'> {}
syncedProperties(VBox, ['children', 'box_style']);

/** Children on a CSS grid (`GridBoxModel`); set `grid_template_columns` etc. on its layout. */
export class GridBox extends DOMWidget<BoxState> {
  constructor(children: Widget<any>[] = [], opts: BoxOptions = {}) {
    super(spec('GridBoxModel', 'GridBoxView'), boxState(children, opts));
  }
}
export interface GridBox extends Omit<BoxState, 'layout'> {}
syncedProperties(GridBox, ['children', 'box_style']);

// ---------------------------------------------------------------------------------------------
// Output

/** One output in nbformat form (stream, display_data, ...). */
export type OutputItem = Record<string, unknown>;

export interface OutputState extends DOMState {
  msg_id: string;
  outputs: OutputItem[];
}

/**
 * An output area (`OutputModel` from @jupyter-widgets/output 1.0.0). Append to it from anywhere
 * (`appendStdout`, `appendDisplay`), or `capture(fn)`: while `fn` runs in a cell, the frontend
 * routes that cell's output into this widget.
 */
export class Output extends DOMWidget<OutputState> {
  constructor(opts: Omit<DOMOptions, 'style'> = {}) {
    super(spec('OutputModel', 'OutputView', '@jupyter-widgets/output', '@jupyter-widgets/output', '1.0.0'), {
      ...domState(opts),
      msg_id: '',
      outputs: [],
    });
  }

  appendStdout(text: string): void {
    this.set('outputs', [...this.get('outputs'), { output_type: 'stream', name: 'stdout', text }]);
  }

  appendStderr(text: string): void {
    this.set('outputs', [...this.get('outputs'), { output_type: 'stream', name: 'stderr', text }]);
  }

  /** Appends a mime bundle (`{'text/html': ...}`) or a widget's view. */
  appendDisplay(what: Record<string, unknown> | Widget<any>): void {
    const data =
      what instanceof Widget
        ? { 'application/vnd.jupyter.widget-view+json': { model_id: what.model_id, version_major: 2, version_minor: 0 }, 'text/plain': what.toString() }
        : what;
    this.set('outputs', [...this.get('outputs'), { output_type: 'display_data', data, metadata: {} }]);
  }

  clearOutput(): void {
    this.set('outputs', []);
  }

  /** Routes the current cell's output into this widget while `fn` runs (sync or async). */
  async capture<T>(fn: () => T | Promise<T>): Promise<T> {
    const parent = getCommManager().transport?.currentParentMsgId() ?? '';
    this.set('msg_id', parent);
    try {
      return await fn();
    } finally {
      this.set('msg_id', '');
    }
  }
}
export interface Output extends Omit<OutputState, 'layout'> {}
syncedProperties(Output, ['outputs', 'msg_id']);

export type { Change };
