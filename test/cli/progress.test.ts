// The scan's progress lines in logs (no terminal): a line every 10 s with an ETA, except for the verification,
// whose pairs do not come at a steady rate (an independent check saw ETAs of 438 s and 1,372 s for a 56 s check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressReporter } from '../../src/cli/scan';

test('progress lines: embedding shows an ETA, the verification does not', () => {
  const lines: string[] = [];
  const write = process.stderr.write;
  const now = Date.now;
  const tty = process.stderr.isTTY;
  let clock = 1_000_000;
  try {
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    Date.now = () => clock;
    process.stderr.write = ((chunk: string) => { lines.push(String(chunk)); return true; }) as typeof process.stderr.write;
    const p = progressReporter(false);
    p.update('embed', 0, 100);
    clock += 11_000;
    p.update('embed', 10, 100);
    p.update('verify', 0, 1000);
    clock += 11_000;
    p.update('verify', 20, 1000);
    p.stop(true);
  } finally {
    process.stderr.write = write;
    Date.now = now;
    Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true });
  }
  const embed = lines.find((l) => l.startsWith('embedding: 10/100'));
  const verify = lines.find((l) => l.startsWith('verifying: 20/1,000'));
  assert.match(embed ?? '', /ETA 99 s/, lines.join(''));
  assert.ok(verify && !/ETA/.test(verify), lines.join(''));
  assert.ok(lines.some((l) => /^verifying: done in 11\.0 s/.test(l)), lines.join(''));
});
