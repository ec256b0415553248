// The notebook-friendly text progress reporter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textProgress } from '../../src/embed/progress';

test('textProgress prints the start, throttled updates and one final line', () => {
  const lines: string[] = [];
  const p = textProgress({ label: 'embedding', every: 3600, write: (l) => lines.push(l) });
  p(0, 70000);
  p(100, 70000); // within the throttle window: not printed
  p(35000, 70000);
  p(70000, 70000);
  p(70000, 70000); // repeated end: not printed again
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], /^embedding: 0\/70,000 \(0\.0%\)/);
  assert.match(lines[1], /^embedding: 70,000\/70,000 done in \d+:\d\d \(\d+\/s\)$/);
  const all: string[] = [];
  const q = textProgress({ every: 0, write: (l) => all.push(l) });
  q(0, 4); q(1, 4); q(2, 4); q(4, 4);
  assert.equal(all.length, 4);
  assert.match(all[2], /2\/4 \(50\.0%\) \d+\/s, ETA/);
});
