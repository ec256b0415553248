/**
 * An error meant for the user: the CLI prints its message (which names the bad argument or file)
 * without a stack trace and exits non-zero.
 */
export class NeardupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NeardupError';
  }
}
