/**
 * Opening a LanceDB database: a local folder (embedded, nothing to start) or object storage
 * (`s3://bucket/prefix`). For S3-compatible servers the endpoint and credentials come from
 * {@link StoreOptions.storageOptions} or the environment (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`), which Lance's object-store layer reads.
 */
import * as lancedb from '@lancedb/lancedb';
import { mkdirSync } from 'node:fs';
import { NeardupError } from '../errors';

/** Where and how to open a store. */
export interface StoreOptions {
  /** Passed to LanceDB / Lance's object store (`aws_endpoint`, `aws_access_key_id`, `allow_http`, …). */
  storageOptions?: Record<string, string>;
}

/** True for `s3://`, `gs://`, `az://` (and other scheme) URIs; false for local paths. */
export function isRemoteUri(uri: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://');
}

/**
 * Storage options from the environment for an `s3://` URI: endpoint (AWS_ENDPOINT_URL or
 * AWS_ENDPOINT), and `allow_http` when that endpoint is plain http (a local test server).
 */
export function storageOptionsFromEnv(uri: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!uri.startsWith('s3://')) return {};
  const o: Record<string, string> = {};
  const endpoint = env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT;
  if (endpoint) {
    o.aws_endpoint = endpoint;
    if (endpoint.startsWith('http://')) o.allow_http = 'true';
  }
  if (env.AWS_ACCESS_KEY_ID) o.aws_access_key_id = env.AWS_ACCESS_KEY_ID;
  if (env.AWS_SECRET_ACCESS_KEY) o.aws_secret_access_key = env.AWS_SECRET_ACCESS_KEY;
  if (env.AWS_REGION) o.aws_region = env.AWS_REGION;
  return o;
}

/**
 * Connects to the store at `uri` (a folder, created if needed, or `s3://…`).
 * @throws NeardupError `io` when LanceDB cannot open it, or (object storage) cannot list it: wrong
 *   endpoint, bucket or credentials (the message names the URI and the cause).
 */
export async function openStore(uri: string, opts: StoreOptions = {}): Promise<lancedb.Connection> {
  if (!uri) throw new NeardupError('store URI is empty');
  try {
    if (!isRemoteUri(uri)) mkdirSync(uri.replace(/^file:\/\//, ''), { recursive: true });
    const db = await lancedb.connect(uri, { storageOptions: { ...storageOptionsFromEnv(uri), ...opts.storageOptions } });
    // Connecting to object storage is lazy: one listing here turns a wrong endpoint, bucket or
    // credentials into an error that names the store, before any work is done.
    if (isRemoteUri(uri)) await db.tableNames();
    return db;
  } catch (e) {
    throw new NeardupError(`cannot open store ${uri}: ${(e as Error).message}`, 'io', { cause: e });
  }
}

/** Names of the tables in a store. */
export async function tableNames(db: lancedb.Connection): Promise<string[]> {
  return db.tableNames({ limit: 100000 } as never);
}
