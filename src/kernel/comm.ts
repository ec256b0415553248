/**
 * Jupyter comms on the kernel side, independent of the wire (ZMQ) layer.
 *
 * A comm is a bidirectional channel between a kernel object and a frontend object
 * (`comm_open` / `comm_msg` / `comm_close`). The {@link CommManager} keeps every open comm and
 * the registered comm targets. The kernel launcher (src/kernel/server.ts) plugs a
 * {@link CommTransport} into it; without one (a plain Node script, a unit test) comms are
 * "detached": they keep working locally but send nothing.
 *
 * The manager is a process-wide singleton stored under a `Symbol.for` key on `globalThis`, so that
 * two copies of this package loaded in one kernel (e.g. the kernel's own copy and a copy in the
 * notebook's `node_modules`) still share one comm registry and one transport.
 */
import { randomUUID } from 'node:crypto';
import { NeardupError } from '../errors';

/** Raw binary frames that travel after the JSON parts of a message. */
export type BinaryFrames = Uint8Array[];

/** JSON-compatible object. */
export type JSONObject = { [key: string]: unknown };

/** What the kernel launcher provides to send comm and display messages on iopub. */
export interface CommTransport {
  /** Publishes a comm message on iopub with the parent header of the current context. */
  send(
    msgType: 'comm_open' | 'comm_msg' | 'comm_close',
    content: JSONObject,
    metadata: JSONObject,
    buffers: BinaryFrames,
  ): void;
  /** Publishes a `display_data` message (a mime bundle) with the current parent header. */
  display(data: JSONObject, metadata?: JSONObject, displayId?: string): void;
  /** Replaces an earlier display with `displayId` (an `update_display_data` message). */
  updateDisplay?(data: JSONObject, metadata: JSONObject, displayId: string): void;
  /** The msg_id of the request whose context we are in (used by the Output widget), or ''. */
  currentParentMsgId(): string;
  /** Writes a line to the kernel's own log (not to a cell). */
  log(message: string): void;
}

export type CommMsgHandler = (data: JSONObject, buffers: BinaryFrames, metadata: JSONObject) => void;
export type CommCloseHandler = (data: JSONObject) => void;
export type CommTargetHandler = (comm: Comm, data: JSONObject, buffers: BinaryFrames) => void;

/** One comm: an id, a target name, and handlers for messages from the frontend. */
export class Comm {
  private msgHandlers: CommMsgHandler[] = [];
  private closeHandlers: CommCloseHandler[] = [];
  private _closed = false;

  constructor(
    private readonly manager: CommManager,
    readonly commId: string,
    readonly targetName: string,
  ) {}

  get closed(): boolean {
    return this._closed;
  }

  /** Sends `comm_msg` to the frontend. No-op once closed. */
  send(data: JSONObject, buffers: BinaryFrames = [], metadata: JSONObject = {}): void {
    if (this._closed) return;
    this.manager.transport?.send('comm_msg', { comm_id: this.commId, data }, metadata, buffers);
  }

  /** Closes the comm on both sides. Safe to call twice. */
  close(data: JSONObject = {}): void {
    if (this._closed) return;
    this._closed = true;
    this.manager.transport?.send('comm_close', { comm_id: this.commId, data }, {}, []);
    this.manager.forget(this.commId);
    this.fireClose(data);
  }

  onMsg(handler: CommMsgHandler): void {
    this.msgHandlers.push(handler);
  }

  onClose(handler: CommCloseHandler): void {
    this.closeHandlers.push(handler);
  }

  /** @internal called by the manager for a frontend comm_msg. */
  deliver(data: JSONObject, buffers: BinaryFrames, metadata: JSONObject): void {
    for (const h of this.msgHandlers) h(data, buffers, metadata);
  }

  /** @internal called by the manager for a frontend comm_close. */
  closedByFrontend(data: JSONObject): void {
    if (this._closed) return;
    this._closed = true;
    this.fireClose(data);
  }

  private fireClose(data: JSONObject): void {
    for (const h of this.closeHandlers) h(data);
  }
}

/** Comm registry and dispatcher; one per process (see {@link getCommManager}). */
export class CommManager {
  /** Set by the kernel launcher; null outside a kernel. */
  transport: CommTransport | null = null;
  private comms = new Map<string, Comm>();
  private targets = new Map<string, CommTargetHandler>();
  /** Shared storage for higher layers (the widget registry lives here so copies share it). */
  readonly shared = new Map<string, unknown>();

  /** Opens a comm from the kernel side (sends `comm_open`). */
  open(
    targetName: string,
    data: JSONObject = {},
    metadata: JSONObject = {},
    buffers: BinaryFrames = [],
    commId: string = randomUUID().replace(/-/g, ''),
  ): Comm {
    const comm = new Comm(this, commId, targetName);
    this.comms.set(commId, comm);
    this.transport?.send('comm_open', { comm_id: commId, target_name: targetName, data }, metadata, buffers);
    return comm;
  }

  /** Registers the handler for comms the frontend opens with `target_name`. */
  registerTarget(targetName: string, handler: CommTargetHandler): void {
    this.targets.set(targetName, handler);
  }

  get(commId: string): Comm | undefined {
    return this.comms.get(commId);
  }

  /** `{comm_id: {target_name}}` of open comms, optionally only those of one target (comm_info_reply). */
  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, c] of this.comms) {
      if (!targetName || c.targetName === targetName) out[id] = { target_name: c.targetName };
    }
    return out;
  }

  /** @internal */
  forget(commId: string): void {
    this.comms.delete(commId);
  }

  /**
   * Handles a frontend `comm_open`. Unknown targets are answered with `comm_close` (as ipykernel
   * does) so the frontend does not wait forever. Throws on malformed content; the caller logs it.
   */
  handleOpen(content: JSONObject, buffers: BinaryFrames): void {
    const commId = content.comm_id;
    const targetName = content.target_name;
    if (typeof commId !== 'string' || typeof targetName !== 'string') {
      throw new NeardupError('comm_open without a string comm_id and target_name', 'protocol');
    }
    const handler = this.targets.get(targetName);
    const comm = new Comm(this, commId, targetName);
    if (!handler) {
      this.transport?.log(`comm_open for unknown target '${targetName}': closing it`);
      this.comms.set(commId, comm);
      comm.close();
      return;
    }
    this.comms.set(commId, comm);
    handler(comm, asObject(content.data), buffers);
  }

  /** Handles a frontend `comm_msg`; messages for unknown or closed comms are logged and dropped. */
  handleMsg(content: JSONObject, buffers: BinaryFrames, metadata: JSONObject): void {
    const commId = content.comm_id;
    if (typeof commId !== 'string') throw new NeardupError('comm_msg without a string comm_id', 'protocol');
    const comm = this.comms.get(commId);
    if (!comm) {
      this.transport?.log(`comm_msg for unknown or closed comm ${commId}: ignored`);
      return;
    }
    comm.deliver(asObject(content.data), buffers, metadata);
  }

  /** Handles a frontend `comm_close`. */
  handleClose(content: JSONObject): void {
    const commId = content.comm_id;
    if (typeof commId !== 'string') throw new NeardupError('comm_close without a string comm_id', 'protocol');
    const comm = this.comms.get(commId);
    if (!comm) {
      this.transport?.log(`comm_close for unknown comm ${commId}: ignored`);
      return;
    }
    this.comms.delete(commId);
    comm.closedByFrontend(asObject(content.data));
  }
}

function asObject(v: unknown): JSONObject {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JSONObject) : {};
}

const MANAGER_KEY = Symbol.for('neardup.kernel.commManager.v1');

/** The process-wide comm manager (created on first use). */
export function getCommManager(): CommManager {
  const g = globalThis as unknown as Record<symbol, CommManager | undefined>;
  let m = g[MANAGER_KEY];
  if (!m) {
    m = new CommManager();
    g[MANAGER_KEY] = m;
  }
  return m;
}
