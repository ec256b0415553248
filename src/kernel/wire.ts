/**
 * The Jupyter wire protocol (messaging spec 5.3): parsing and signing multipart ZMQ messages.
 *
 * Written here rather than reusing tslab's message class because tslab signs and sends extra
 * frames as JSON strings (binary buffers need raw frames) and verifies the HMAC over the buffers
 * too; the spec signs only header, parent_header, metadata and content.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { NeardupError } from '../errors';

export const DELIM = Buffer.from('<IDS|MSG>');

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [k: string]: unknown;
}

export interface WireMessage {
  identities: Buffer[];
  header: Header;
  parent: Partial<Header>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
  /** Signature frame and the four signed frames, for verification. */
  signature: string;
  signed: Buffer[];
}

/** Splits and JSON-decodes a raw multipart message. Throws with a reason if malformed. */
export function parseFrames(frames: Buffer[]): WireMessage {
  const i = frames.findIndex((f) => f.equals(DELIM));
  if (i < 0) throw new NeardupError('no <IDS|MSG> delimiter', 'protocol');
  if (frames.length < i + 6) throw new NeardupError(`only ${frames.length - i - 1} frames after the delimiter`, 'protocol');
  const signed = frames.slice(i + 2, i + 6);
  const json = (b: Buffer, what: string): any => {
    try {
      return JSON.parse(b.toString('utf8'));
    } catch {
      throw new NeardupError(`${what} is not valid JSON`, 'protocol');
    }
  };
  const header = json(signed[0], 'header');
  if (!header || typeof header !== 'object' || typeof header.msg_type !== 'string') {
    throw new NeardupError('header has no msg_type', 'protocol');
  }
  const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  return {
    identities: frames.slice(0, i),
    signature: frames[i + 1].toString('ascii'),
    signed,
    header,
    parent: obj(json(signed[1], 'parent_header')),
    metadata: obj(json(signed[2], 'metadata')),
    content: obj(json(signed[3], 'content')),
    buffers: frames.slice(i + 6),
  };
}

function sign(key: string, parts: Buffer[]): string {
  if (!key) return '';
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Throws unless the message's HMAC-SHA256 signature matches (no check when the key is empty). */
export function verify(key: string, msg: WireMessage): void {
  if (!key) return;
  const want = Buffer.from(sign(key, msg.signed));
  const got = Buffer.from(msg.signature);
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw new NeardupError('invalid HMAC signature', 'protocol');
}

/** A new header for a message the kernel sends. */
export function newHeader(msgType: string, session: string): Header {
  return {
    msg_id: randomUUID().replace(/-/g, ''),
    msg_type: msgType,
    session,
    username: 'neardup',
    date: new Date().toISOString(),
    version: '5.3',
  };
}

/** Builds the signed multipart frames; buffers follow as raw binary frames. */
export function buildFrames(
  key: string,
  identities: Buffer[],
  header: Header,
  parent: Partial<Header>,
  metadata: Record<string, unknown>,
  content: Record<string, unknown>,
  buffers: Uint8Array[] = [],
): Buffer[] {
  const signed = [header, parent, metadata, content].map((o) => Buffer.from(JSON.stringify(o), 'utf8'));
  return [
    ...identities,
    DELIM,
    Buffer.from(sign(key, signed), 'ascii'),
    ...signed,
    ...buffers.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))),
  ];
}
