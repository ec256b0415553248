/**
 * The neardup kernel: tslab's TypeScript converter, executor and ZMQ server, extended with
 * Jupyter comms and the widget protocol.
 *
 * What is added around tslab (whose classes are reused by subclassing, not copied):
 * - `comm_open` / `comm_msg` / `comm_close` from the frontend are dispatched to the
 *   {@link CommManager}; kernel-side comms send them on iopub. Binary buffers travel as raw extra
 *   frames both ways, signed per the spec (tslab would stringify them).
 * - `comm_info_request` gets a `comm_info_reply` listing open comms (tslab replies with the wrong
 *   msg_type and no comms).
 * - Every iopub message carries the right parent header: the request being handled is tracked
 *   with AsyncLocalStorage, so output, widget updates and displays made by a cell (even from its
 *   timers and promises) or by a comm message's handler are attributed to it.
 * - A cell's last value that is a widget (anything with a MIME_BUNDLE method) is shown as a
 *   display_data with the widget-view mime type, not printed.
 * - Malformed, unknown, oversized, badly signed or stray comm messages are logged to the kernel's
 *   own stderr and dropped; a throwing handler never takes the kernel down.
 * Comm messages are handled as soon as they arrive, while a cell is awaiting or while idle,
 * because tslab dispatches shell messages without waiting for the running cell.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { getCommManager, type CommManager, type JSONObject } from './comm';
import { buildFrames, newHeader, parseFrames, verify, type Header, type WireMessage } from './wire';
import { makeRequireResolvable, makeTypesResolvable } from './resolve';
import { MIME_BUNDLE, STATIC_HTML_ASYNC, STATIC_OF, WIDGET_VIEW_MIMETYPE, registerWidgetControl } from '../widgets/base';

/** Comm messages larger than this (all frames together) are dropped. */
export const DEFAULT_MAX_COMM_BYTES = 256 * 1024 * 1024;

const COMM_TYPES = new Set(['comm_open', 'comm_msg', 'comm_close']);
/** Requests tslab's server handles itself. */
const TSLAB_TYPES = new Set([
  'kernel_info_request', 'execute_request', 'is_complete_request', 'inspect_request', 'complete_request', 'shutdown_request',
]);

interface RequestContext {
  parent: Partial<Header>;
}

// tslab's modules, loaded lazily (typed loosely: tslab's .d.ts pull in its whole TypeScript).
type AnyCtor = new (...args: any[]) => any;
function tslab<T = any>(mod: string): T {
  return require(`tslab/dist/${mod}`);
}

/** Lazily created TypeScript converters, as tslab's own launcher keeps them. */
class Converters {
  private _node: any = null;
  private _browser: any = null;
  get node(): any {
    if (!this._node) this._node = tslab('converter').createConverter({ isJS: false, isBrowser: false });
    return this._node;
  }
  get browser(): any {
    if (!this._browser) this._browser = tslab('converter').createConverter({ isJS: false, isBrowser: true });
    return this._browser;
  }
  close(): void {
    this._node?.close();
    this._browser?.close();
  }
}

export interface KernelOptions {
  /** Path of the connection file Jupyter passes to the kernel. */
  connectionFile: string;
  /** Working directory whose cells import `neardup` (default: process.cwd()). */
  cwd?: string;
  /** Comm messages above this size are dropped (bytes). */
  maxCommBytes?: number;
}

/** A running kernel (returned by {@link startKernel}). */
export interface RunningKernel {
  close(): void;
}

/** Starts the neardup kernel on the given connection file. */
export async function startKernel(opts: KernelOptions): Promise<RunningKernel> {
  const cwd = opts.cwd ?? process.cwd();
  const maxCommBytes = opts.maxCommBytes ?? (Number(process.env.NEARDUP_MAX_COMM_BYTES) || DEFAULT_MAX_COMM_BYTES);
  const realStdoutWrite = process.stdout.write.bind(process.stdout);
  const realStderrWrite = process.stderr.write.bind(process.stderr);
  const log = (m: string): void => {
    realStderrWrite(`[neardup kernel] ${m}\n`);
  };

  makeRequireResolvable(cwd);
  makeTypesResolvable(cwd);

  const als = new AsyncLocalStorage<RequestContext>();
  const session = randomUUID().replace(/-/g, '');
  let lastParent: Partial<Header> | null = null;
  const currentParent = (): Partial<Header> | null => als.getStore()?.parent ?? lastParent;
  // tslab stamps its messages with the requesting client's session id and JupyterLab takes the
  // session of kernel_info_reply as the kernel's: messages with any other session are dropped
  // ("Canceling handling of old message"). So ours must carry the same one.
  const sessionFor = (parent: Partial<Header> | null): string =>
    typeof parent?.session === 'string' && parent.session ? parent.session : (lastParent?.session as string | undefined) ?? session;

  const { ZmqServer, JupyterHandlerImpl } = tslab<{ ZmqServer: AnyCtor; JupyterHandlerImpl: AnyCtor }>('jupyter');
  let server: any = null;

  /** Publishes on iopub with the current request's parent header. */
  const publish = (
    msgType: string,
    content: JSONObject,
    metadata: JSONObject = {},
    buffers: Uint8Array[] = [],
    parent: Partial<Header> | null = currentParent(),
  ): Promise<void> => {
    if (!server || !server.iopub) return Promise.resolve();
    const header = newHeader(msgType, sessionFor(parent));
    const frames = buildFrames(server.connInfo.key, [Buffer.from(`kernel.${session}.${msgType}`)], header, parent ?? {}, metadata, content, buffers);
    try {
      // Resolves once zeromq holds the message (its I/O thread writes it while JavaScript runs on).
      return Promise.resolve(server.iopub.send(frames)).catch((e: Error) => log(`iopub send failed: ${e.message}`));
    } catch (e) {
      log(`iopub send failed: ${(e as Error).message}`); // socket closed at shutdown
      return Promise.resolve();
    }
  };

  // Output of cells and of comm handlers goes to whichever request is running it.
  const streamWriter = (name: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const parent = currentParent();
      if (parent && server) publish('stream', { name, text });
      else (name === 'stdout' ? realStdoutWrite : realStderrWrite)(text);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = streamWriter('stdout');
  process.stderr.write = streamWriter('stderr');

  /** Async displays of the running cell, awaited before its execute reply. */
  const pendingDisplays: Promise<unknown>[] = [];
  const manager: CommManager = getCommManager();
  manager.transport = {
    send: (msgType, content, metadata, buffers) => publish(msgType, content, metadata, buffers),
    display: (data, metadata = {}, displayId) => publish('display_data', { data, metadata, transient: displayId ? { display_id: displayId } : {} }),
    updateDisplay: (data, metadata, displayId) => publish('update_display_data', { data, metadata, transient: { display_id: displayId } }),
    currentParentMsgId: () => String(currentParent()?.msg_id ?? ''),
    log,
  };
  registerWidgetControl(manager);

  class Handler extends (JupyterHandlerImpl as AnyCtor) {
    // TypeScript's completion/inspection can throw on unusual declarations; answer empty rather
    // than leaving the frontend waiting for a reply that never comes.
    handleComplete(req: { cursor_pos: number }): unknown {
      try {
        return super.handleComplete(req);
      } catch (e) {
        log(`completion failed: ${(e as Error).message}`);
        return { cursor_start: req.cursor_pos, cursor_end: req.cursor_pos, matches: [], metadata: {}, status: 'ok' };
      }
    }

    handleInspect(req: unknown): unknown {
      try {
        return super.handleInspect(req);
      } catch (e) {
        log(`inspection failed: ${(e as Error).message}`);
        return { status: 'ok', found: false, data: {}, metadata: {} };
      }
    }

    // A cell's last value with a static picture (the explorer's needs its thumbnails encoded)
    // publishes it before the execute reply, so headless runs save it.
    async handleExecuteImpl(...args: unknown[]): Promise<unknown> {
      try {
        return await super.handleExecuteImpl(...args);
      } finally {
        while (pendingDisplays.length) await pendingDisplays.shift();
      }
    }

    // tslab re-points process.stdout/stderr at each execute; keep them on our router instead.
    createWriteToIopub(name: 'stdout' | 'stderr'): (b: string | Uint8Array) => boolean {
      return streamWriter(name) as unknown as (b: string | Uint8Array) => boolean;
    }
  }

  class Server extends (ZmqServer as AnyCtor) {
    async init(): Promise<void> {
      await super.init();
      this.iopub = serializeSends(this.iopub);
      this.shell = serializeSends(this.shell);
      this.control = serializeSends(this.control);
      this.stdin = serializeSends(this.stdin);
    }

    async handleShellMessage(sock: any, ...frames: Buffer[]): Promise<void> {
      let msg: WireMessage;
      try {
        msg = parseFrames(frames);
      } catch (e) {
        log(`malformed message dropped: ${(e as Error).message}`);
        return;
      }
      const type = msg.header.msg_type;
      if (COMM_TYPES.has(type) || type === 'comm_info_request') {
        try {
          verify(this.connInfo.key, msg);
        } catch (e) {
          log(`${type} dropped: ${(e as Error).message}`);
          return;
        }
        this.handleCommMessage(sock, msg, frames);
        return;
      }
      if (!TSLAB_TYPES.has(type)) {
        this.handleUnknown(sock, msg);
        return;
      }
      if (type === 'execute_request') lastParent = msg.header;
      try {
        await als.run({ parent: msg.header }, () => super.handleShellMessage(sock, ...frames));
      } catch (e) {
        log(`${type} failed: ${(e as Error).message}`);
      }
    }

    private handleCommMessage(sock: any, msg: WireMessage, frames: Buffer[]): void {
      const parent = msg.header;
      publish('status', { execution_state: 'busy' }, {}, [], parent);
      try {
        als.run({ parent }, () => {
          const type = msg.header.msg_type;
          if (type === 'comm_info_request') {
            const target = typeof msg.content.target_name === 'string' ? msg.content.target_name : undefined;
            const reply = buildFrames(
              this.connInfo.key,
              msg.identities,
              newHeader('comm_info_reply', sessionFor(parent)),
              parent,
              {},
              { status: 'ok', comms: manager.info(target) },
            );
            Promise.resolve(sock.send(reply)).catch((e: Error) => log(`shell send failed: ${e.message}`));
            return;
          }
          const size = frames.reduce((n, f) => n + f.length, 0);
          if (size > maxCommBytes) {
            log(`${type} of ${size} bytes exceeds the ${maxCommBytes}-byte limit: dropped`);
            return;
          }
          if (type === 'comm_open') manager.handleOpen(msg.content, msg.buffers);
          else if (type === 'comm_msg') manager.handleMsg(msg.content, msg.buffers, msg.metadata);
          else manager.handleClose(msg.content);
        });
      } catch (e) {
        log(`${msg.header.msg_type} ignored: ${(e as Error).message}`);
      } finally {
        publish('status', { execution_state: 'idle' }, {}, [], parent);
      }
    }

    /** Requests tslab does not know: an empty history, otherwise logged (tslab printed to the cell). */
    private handleUnknown(sock: any, msg: WireMessage): void {
      const type = msg.header.msg_type;
      publish('status', { execution_state: 'busy' }, {}, [], msg.header);
      if (type === 'history_request') {
        const reply = buildFrames(this.connInfo.key, msg.identities, newHeader('history_reply', sessionFor(msg.header)), msg.header, {}, { status: 'ok', history: [] });
        Promise.resolve(sock.send(reply)).catch((e: Error) => log(`shell send failed: ${e.message}`));
      } else {
        log(`unsupported request ${type}: ignored`);
      }
      publish('status', { execution_state: 'idle' }, {}, [], msg.header);
    }

    // tslab answers with msg_type complete_reply; ours goes through handleCommMessage instead.
    handleCommInfoRequest(): void {}
  }

  const convs = new Converters();
  // tslab compiles a first program at start-up (seconds of blocked event loop). Do it only once
  // the frontend's widget manager got its answer to `request_states` (it gives up after 4 s and
  // then fails to render widgets), or after a quiet delay; the first cell warms it otherwise.
  let warmTimer: NodeJS.Timeout | null = null;
  const warm = (delayMs: number): void => {
    if (warmTimer) clearTimeout(warmTimer);
    warmTimer = setTimeout(() => convs.node, delayMs);
    warmTimer.unref();
  };
  manager.shared.set('onControlAnswered', () => warm(500));
  warm(Number(process.env.NEARDUP_KERNEL_WARMUP_MS) || 8000);
  const cellConsole = {
    // The executor prints a cell's last value with log(); widgets are displayed instead.
    log: (...args: unknown[]) => {
      const v = args[0] as any;
      if (args.length === 1 && v && typeof v[MIME_BUNDLE] === 'function' && typeof v[STATIC_HTML_ASYNC] === 'function') {
        // The live view first (the first paint does not wait for thumbnails to be encoded), then
        // the static picture as a second output before the execute reply (see STATIC_HTML_ASYNC).
        const b = v[MIME_BUNDLE]();
        const shown = publish('display_data', { data: b.data, metadata: b.metadata ?? {}, transient: {} });
        const modelId = (b.data?.[WIDGET_VIEW_MIMETYPE] as any)?.model_id ?? '';
        pendingDisplays.push(
          // Started once the view's messages are in zeromq's hands: its JavaScript would otherwise
          // hold them (and so the first paint) back on this thread.
          shown
            .then(() => new Promise((r) => setTimeout(r, 0)))
            .then(() => v[STATIC_HTML_ASYNC]())
            .then(
              (html: string) => publish('display_data', { data: { 'text/html': html, 'text/plain': String(v) }, metadata: { [STATIC_OF]: modelId }, transient: {} }),
              (e: Error) => log(`static picture failed, the live view alone is shown: ${e.message}`),
            ),
        );
        return;
      }
      if (args.length === 1 && v && typeof v[MIME_BUNDLE] === 'function') {
        const b = v[MIME_BUNDLE]();
        publish('display_data', { data: b.data, metadata: b.metadata ?? {}, transient: {} });
        return;
      }
      console.log(...args);
    },
    error: (...args: unknown[]) => console.error(...args),
  };
  const executor = tslab('executor').createExecutor(cwd, convs, cellConsole);
  server = new Server(new Handler(executor, false), opts.connectionFile);

  process.on('SIGINT', () => executor.interrupt());
  process.on('uncaughtException', (err) => {
    console.error('Uncaught exception:', err);
  });
  process.on('unhandledRejection', (reason) => {
    console.error('Unhandled promise rejection:', reason);
  });
  await server.init();
  log(`started (session ${session}, cwd ${cwd})`);
  return { close: () => server.close() };
}

/**
 * zeromq 6 sockets refuse a send while the previous one is still being written ("Socket is busy
 * writing"), and tslab sends without awaiting: under load, outputs and widget updates were dropped.
 * Returns a view of the socket whose `send` (tslab's and ours) queues behind the previous one.
 * (A proxy, because the socket's own `send` is read-only.)
 */
function serializeSends<T extends object>(sock: T): T {
  if (!sock || typeof (sock as any).send !== "function") return sock;
  const raw = (sock as any).send.bind(sock) as (msg: unknown) => Promise<void>;
  let tail: Promise<void> = Promise.resolve();
  const send = (msg: unknown): Promise<void> => {
    const sent = tail.then(() => raw(msg));
    tail = sent.catch(() => {});
    return sent;
  };
  return new Proxy(sock, {
    get(target, key) {
      if (key === 'send') return send;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
