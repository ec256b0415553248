/**
 * The library's own error type. Every public function of neardup that rejects bad input (a missing
 * file, an unreadable format, an out-of-range option) throws a {@link NeardupError} whose message
 * names the file or parameter and the real cause, and whose {@link NeardupError.code} is stable, so
 * callers can branch on it without parsing text. The CLI prints the message without a stack trace
 * and exits with code 2 (`src/cli/main.ts`).
 */

/**
 * Stable error codes:
 * - `invalid_argument`: an option or argument is out of range, of the wrong type, or inconsistent;
 * - `not_found`: a file, folder, dataset or column that was named does not exist;
 * - `bad_format`: an input exists but its content is not what its format requires (corrupt or truncated);
 * - `unsupported`: a valid input that this build cannot handle (a codec, an ONNX op, a pickle global);
 * - `interrupted`: the work was aborted (Ctrl-C or an AbortSignal); rerunning resumes;
 * - `io`: reading or writing failed for a reason outside neardup (permissions, disk full, network);
 * - `protocol`: a Jupyter or widget message broke the protocol.
 */
export type NeardupErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'bad_format'
  | 'unsupported'
  | 'interrupted'
  | 'io'
  | 'protocol';

/**
 * An error meant for the user: its message names the bad argument or file and the cause.
 *
 * @example
 * try { await scan('/no/such/folder'); }
 * catch (e) { if (e instanceof NeardupError && e.code === 'not_found') ... }
 */
export class NeardupError extends Error {
  /** Stable machine-readable cause; see {@link NeardupErrorCode}. */
  readonly code: NeardupErrorCode;

  /**
   * @param message - what went wrong, naming the file or parameter.
   * @param code - the stable cause; default `invalid_argument`.
   * @param options - `cause`: the underlying error, kept for debugging.
   */
  constructor(message: string, code: NeardupErrorCode = 'invalid_argument', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NeardupError';
    this.code = code;
  }
}
