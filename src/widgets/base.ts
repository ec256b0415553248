/**
 * The kernel side of Jupyter widgets (ipywidgets message protocol 2.1.0).
 *
 * ## API of {@link Widget} (what widget authors build on)
 *
 * ```ts
 * class MyModel extends Widget<MyState> {
 *   constructor(init: Partial<MyState> = {}) {
 *     super(
 *       { modelModule: 'neardup-widgets', modelModuleVersion: '0.1.0', modelName: 'MyModel',
 *         viewModule: 'neardup-widgets', viewModuleVersion: '0.1.0', viewName: 'MyView' },
 *       { ...defaults, ...init },
 *     );
 *   }
 * }
 * ```
 * - `new` opens a `jupyter.widget` comm (`comm_open` with `{state, buffer_paths}`, metadata
 *   `{version: "2.1.0"}`) when running inside the neardup kernel; elsewhere the widget is
 *   "detached" (state and events work, nothing is sent).
 * - `get(key)`, `set(key, value)` / `set({k: v, ...})`: synced state. `set` sends an `update`
 *   (only keys whose value changed) and fires change events. Subclasses expose keys as properties
 *   with {@link syncedProperties} (e.g. `slider.value = 3`).
 * - Events: `on('change:<key>', (change) => …)`, `on('change', …)` (any key),
 *   `on('msg:custom', (content, buffers) => …)`, `on('close', …)`; `off(event, cb)`;
 *   `observe(cb, names?)` like ipywidgets (`change = {name, old, new, owner, type: 'change'}`).
 * - Frontend `update`s are applied with change events and answered with `echo_update`
 *   (protocol 2.1) so other views of the same model stay in sync; a key a change handler
 *   re-sets to a different value is sent back as a normal `update`.
 * - Binary data: any `ArrayBuffer`, `DataView` or typed array (e.g. `Uint8Array`) anywhere in the
 *   state or in a custom message travels as a raw binary frame located by `buffer_paths`.
 *   Buffers received from the frontend arrive as `Uint8Array`.
 * - `send(content, buffers?)`: custom message (`method: "custom"`) to the frontend.
 * - `close()`: closes the comm; the views disappear.
 * - Display: a cell whose last value is a widget shows it
 *   (`application/vnd.jupyter.widget-view+json` + a `text/plain` fallback); `display(w)` shows it
 *   from anywhere in a cell.
 * - Other widgets in the state (e.g. `layout`, `children`) are serialised as `"IPY_MODEL_<id>"`.
 */
import { EventEmitter } from 'node:events';
import { getCommManager, type BinaryFrames, type Comm, type CommManager, type JSONObject } from '../kernel/comm';
import { NeardupError } from '../errors';

/** The model/view module, name and version trio that tells the frontend which classes to use. */
export interface WidgetSpec {
  modelModule: string;
  modelModuleVersion: string;
  modelName: string;
  viewModule: string;
  viewModuleVersion: string;
  viewName: string;
}

/** ipywidgets message protocol version sent in comm_open metadata. */
export const PROTOCOL_VERSION = '2.1.0';
/** Mime type of a widget view in a display_data message. */
export const WIDGET_VIEW_MIMETYPE = 'application/vnd.jupyter.widget-view+json';
/** Comm target of widget models. */
export const WIDGET_TARGET = 'jupyter.widget';
/** Comm target of the widget control channel (`request_states`). */
export const CONTROL_TARGET = 'jupyter.widget.control';
/**
 * Objects with a method of this name are displayed by the neardup kernel (as a cell's last value
 * or through {@link display}) with the mime bundle it returns (IPython's convention). A plain
 * name, not a symbol: TypeScript's completion in tslab fails on members with computed names.
 */
export const MIME_BUNDLE = '_repr_mimebundle_';
/**
 * An object with a {@link MIME_BUNDLE} and a method of this name (returning a promise of HTML) is
 * shown, as a cell's last value, in two outputs: its mime bundle at once (the live view), then
 * this static picture, published before the cell's execute reply so that headless runs save it.
 * The picture is for nbconvert and frontends without the extension; the neardup extension hides
 * it beside a rendered live view (widgets/style/index.css). Two outputs, not an
 * `update_display_data` of one: JupyterLab re-creates a widget view on every update of its output.
 */
export const STATIC_HTML_ASYNC = '_repr_static_html_async_';
/** Metadata key on the static picture's output: the model id of the live view it stands for. */
export const STATIC_OF = 'neardup_static_of';

/** A change event, as ipywidgets' `observe` delivers it. */
export interface Change<S, K extends keyof S = keyof S> {
  name: K;
  old: S[K];
  new: S[K];
  owner: Widget<any>;
  type: 'change';
}

type Binary = ArrayBuffer | ArrayBufferView;

function isBinary(v: unknown): v is Binary {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toFrame(v: Binary): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * Replaces binary values by `null` and other widgets by `"IPY_MODEL_<id>"`, returning the JSON
 * state plus the paths and frames of the binary values (the protocol's `buffer_paths`).
 */
export function serializeState(
  value: unknown,
  path: Array<string | number> = [],
  paths: Array<Array<string | number>> = [],
  buffers: BinaryFrames = [],
): { state: any; buffer_paths: Array<Array<string | number>>; buffers: BinaryFrames } {
  const walk = (v: unknown, p: Array<string | number>): unknown => {
    if (isBinary(v)) {
      paths.push(p);
      buffers.push(toFrame(v));
      return null;
    }
    if (v instanceof Widget) return `IPY_MODEL_${v.model_id}`;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i]));
    if (v && typeof v === 'object') {
      const ref = (v as any)[WIDGET_REF];
      if (typeof ref === 'string') return `IPY_MODEL_${ref}`; // a widget from another copy of this module
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...p, k]);
      return out;
    }
    return v;
  };
  return { state: walk(value, path), buffer_paths: paths, buffers };
}

/** Puts received binary frames back into `state` at `buffer_paths` (inverse of serializeState). */
export function insertBuffers(state: any, bufferPaths: unknown, buffers: BinaryFrames): void {
  if (!Array.isArray(bufferPaths)) return;
  bufferPaths.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0 || i >= buffers.length) return;
    let obj = state;
    for (const key of p.slice(0, -1)) {
      if (obj == null || typeof obj !== 'object') return;
      obj = obj[key];
    }
    if (obj == null || typeof obj !== 'object') return;
    const b = buffers[i];
    obj[p[p.length - 1]] = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isBinary(a) && isBinary(b)) {
    const x = toFrame(a);
    const y = toFrame(b);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !(a instanceof Widget) && !(b instanceof Widget)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameValue((a as any)[k], (b as any)[k]));
  }
  return false;
}

const WIDGET_REF = Symbol.for('neardup.widget.modelId');

/** Live widgets by model id, shared by all copies of this module through the comm manager. */
function registry(manager: CommManager): Map<string, Widget<any>> {
  let r = manager.shared.get('widgets') as Map<string, Widget<any>> | undefined;
  if (!r) {
    r = new Map();
    manager.shared.set('widgets', r);
  }
  return r;
}

/** Base class of every kernel-side widget model. `S` is the synced state. */
export class Widget<S extends Record<string, any> = Record<string, any>> {
  /** The comm id, which is the model id the frontend knows the widget by. */
  readonly model_id: string;
  private readonly comm: Comm;
  private readonly manager: CommManager;
  private readonly events = new EventEmitter();
  private readonly state: S;
  /** Keys currently being applied from the frontend, with the value it sent. */
  private frontendLock: Map<string, unknown> | null = null;

  constructor(spec: WidgetSpec, initialState: S) {
    this.manager = getCommManager();
    this.events.setMaxListeners(0);
    this.state = {
      _model_module: spec.modelModule,
      _model_module_version: spec.modelModuleVersion,
      _model_name: spec.modelName,
      _view_module: spec.viewModule,
      _view_module_version: spec.viewModuleVersion,
      _view_name: spec.viewName,
      _view_count: null,
      ...initialState,
    };
    const { state, buffer_paths, buffers } = serializeState(this.state);
    this.comm = this.manager.open(WIDGET_TARGET, { state, buffer_paths }, { version: PROTOCOL_VERSION }, buffers);
    this.model_id = this.comm.commId;
    (this as any)[WIDGET_REF] = this.model_id;
    registry(this.manager).set(this.model_id, this);
    this.comm.onMsg((data, bufs) => this.handleMsg(data, bufs));
    this.comm.onClose(() => {
      registry(this.manager).delete(this.model_id);
      this.emit('close');
    });
  }

  /** True once `close()` ran or the frontend closed the comm. */
  get closed(): boolean {
    return this.comm.closed;
  }

  /** Current value of a synced key. */
  get<K extends keyof S>(key: K): S[K] {
    return this.state[key];
  }

  /** Sets one key or several keys; sends an `update` for the keys whose value changed. */
  set<K extends keyof S>(key: K, value: S[K]): void;
  set(values: Partial<S>): void;
  set(keyOrValues: keyof S | Partial<S>, value?: unknown): void {
    const values: Partial<S> =
      typeof keyOrValues === 'object' ? keyOrValues : ({ [keyOrValues]: value } as Partial<S>);
    const changes: Array<Change<S>> = [];
    const toSend: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) {
      const old = this.state[k];
      if (sameValue(old, v)) continue;
      (this.state as any)[k] = v;
      changes.push({ name: k, old, new: v as any, owner: this, type: 'change' });
      const lock = this.frontendLock;
      if (!(lock && lock.has(k) && sameValue(lock.get(k), v))) toSend[k] = v;
    }
    if (Object.keys(toSend).length > 0) this.sendState('update', toSend);
    for (const c of changes) this.fire(c);
  }

  /** The whole synced state (a shallow copy). */
  getState(): S {
    return { ...this.state };
  }

  /** Subscribes to `change:<key>`, `change`, `msg:custom` or `close`. Returns `this`. */
  on<K extends keyof S & string>(event: `change:${K}`, cb: (change: Change<S, K>) => void): this;
  on(event: 'change', cb: (change: Change<S>) => void): this;
  on(event: 'msg:custom', cb: (content: any, buffers: Uint8Array[]) => void): this;
  on(event: 'close', cb: () => void): this;
  on(event: string, cb: (...args: any[]) => void): this;
  on(event: string, cb: (...args: any[]) => void): this {
    this.events.on(event, cb);
    return this;
  }

  /** Removes a callback added with `on`. */
  off(event: string, cb: (...args: any[]) => void): this {
    this.events.off(event, cb);
    return this;
  }

  /** ipywidgets-style observer: `cb(change)` for every change of `names` (default: all keys). */
  observe(cb: (change: Change<S>) => void, names?: (keyof S & string) | Array<keyof S & string>): this {
    if (names === undefined) return this.on('change', cb);
    for (const n of Array.isArray(names) ? names : [names]) this.on(`change:${n}`, cb as any);
    return this;
  }

  /** Removes an observer added with `observe`. */
  unobserve(cb: (change: Change<S>) => void, names?: (keyof S & string) | Array<keyof S & string>): this {
    if (names === undefined) return this.off('change', cb);
    for (const n of Array.isArray(names) ? names : [names]) this.off(`change:${n}`, cb);
    return this;
  }

  /** Sends a custom message (`method: "custom"`); binary values in `content` go as buffers too. */
  send(content: unknown, buffers: Binary[] = []): void {
    this.comm.send({ method: 'custom', content: content as any }, buffers.map(toFrame));
  }

  /** Closes the model: the frontend removes its views; later sets are local only. */
  close(): void {
    this.comm.close();
  }

  /** Shows the widget in the current cell's output. */
  display(): void {
    display(this);
  }

  /** The display_data bundle of this widget. */
  _repr_mimebundle_(): { data: JSONObject; metadata: JSONObject } {
    return {
      data: {
        [WIDGET_VIEW_MIMETYPE]: { model_id: this.model_id, version_major: 2, version_minor: 0 },
        'text/plain': this.toString(),
      },
      metadata: {},
    };
  }

  /** `text/plain` fallback shown where widgets cannot render. */
  toString(): string {
    const name = String(this.state._model_name).replace(/Model$/, '');
    const shown: string[] = [];
    for (const k of ['description', 'value', 'min', 'max']) {
      const v = this.state[k];
      if (v !== undefined && v !== '' && !isBinary(v)) shown.push(`${k}=${JSON.stringify(v)}`);
    }
    return `${name}(${shown.join(', ')})`;
  }

  /** Node's util.inspect (console.log) shows the text form instead of internals. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Full state for `request_state` / `update_states`. */
  serializedState(): { state: any; buffer_paths: Array<Array<string | number>>; buffers: BinaryFrames } {
    return serializeState(this.state);
  }

  private sendState(method: 'update' | 'echo_update', values: Record<string, unknown>): void {
    const { state, buffer_paths, buffers } = serializeState(values);
    this.comm.send({ method, state, buffer_paths }, buffers);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const cb of this.events.listeners(event)) {
      try {
        (cb as (...a: unknown[]) => void)(...args);
      } catch (err) {
        // A throwing callback must not break the kernel or the other callbacks: report it where
        // the current request's output goes (the cell, or the stderr of the comm message).
        const e = err as Error;
        process.stderr.write(`Error in widget callback for '${event}': ${e && e.stack ? e.stack : String(err)}\n`);
      }
    }
  }

  private fire(change: Change<S>): void {
    this.emit(`change:${String(change.name)}`, change);
    this.emit('change', change);
  }

  private handleMsg(data: JSONObject, buffers: BinaryFrames): void {
    const method = data.method;
    if (method === 'update' || method === 'echo_update') {
      const state = data.state;
      if (!state || typeof state !== 'object' || Array.isArray(state)) throw new NeardupError(`${method} without a state object`, 'protocol');
      insertBuffers(state, data.buffer_paths, buffers);
      if (method === 'update') {
        // Protocol 2.1: echo what we accepted so every other view of this model agrees.
        const echo = serializeState(state);
        this.comm.send({ method: 'echo_update', state: echo.state, buffer_paths: echo.buffer_paths }, echo.buffers);
      }
      this.frontendLock = new Map(Object.entries(state));
      try {
        this.set(state as Partial<S>);
      } finally {
        this.frontendLock = null;
      }
    } else if (method === 'request_state') {
      const { state, buffer_paths, buffers: bufs } = this.serializedState();
      this.comm.send({ method: 'update', state, buffer_paths }, bufs);
    } else if (method === 'custom') {
      const content = data.content;
      this.emit('msg:custom', content, buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    } else {
      throw new NeardupError(`unknown widget message method ${JSON.stringify(method)}`, 'protocol');
    }
  }
}

/**
 * Defines properties on a widget class's prototype that read and write synced state, so
 * `slider.value` reads the last value and `slider.value = 3` syncs it. Declare them in the class
 * with `declare value: number;` for typing.
 */
export function syncedProperties(cls: { prototype: object }, keys: readonly string[]): void {
  for (const key of keys) {
    Object.defineProperty(cls.prototype, key, {
      get(this: Widget<any>) {
        return this.get(key);
      },
      set(this: Widget<any>, v: unknown) {
        this.set(key, v);
      },
      enumerable: true,
      configurable: true,
    });
  }
}

/**
 * Displays a widget (or anything with a {@link MIME_BUNDLE} method) in the current cell output.
 * Outside a kernel it prints the text form.
 */
export function display(obj: { _repr_mimebundle_(): { data: JSONObject; metadata: JSONObject } }): void {
  const bundle = obj._repr_mimebundle_();
  const t = getCommManager().transport;
  if (t) t.display(bundle.data, bundle.metadata);
  else process.stdout.write(`${String(bundle.data['text/plain'] ?? '')}\n`);
}

/**
 * Registers the `jupyter.widget.control` target on the kernel's comm manager: the frontend asks
 * for every live model's state (`request_states`) when a page is (re)loaded and gets
 * `update_states`. Called by the kernel launcher.
 */
export function registerWidgetControl(manager: CommManager = getCommManager()): void {
  manager.registerTarget(CONTROL_TARGET, (comm) => {
    comm.onMsg((data) => {
      if (data.method !== 'request_states') throw new NeardupError(`unknown control method ${JSON.stringify(data.method)}`, 'protocol');
      const states: Record<string, unknown> = {};
      for (const [id, w] of registry(manager)) {
        const s = w.getState();
        states[id] = {
          model_name: s._model_name,
          model_module: s._model_module,
          model_module_version: s._model_module_version,
          state: s,
        };
      }
      const { state, buffer_paths, buffers } = serializeState(states);
      comm.send({ method: 'update_states', states: state, buffer_paths }, buffers);
      const hook = manager.shared.get('onControlAnswered');
      if (typeof hook === 'function') hook();
    });
  });
  // The frontend may open a model comm itself (rare); we have no kernel-side class for it.
  manager.registerTarget(WIDGET_TARGET, (comm) => {
    manager.transport?.log(`frontend-created widget model ${comm.commId} is not supported: closing it`);
    comm.close();
  });
}
