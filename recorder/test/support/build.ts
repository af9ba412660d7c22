// Vitest global setup of the recorder project: the tests that spawn the recorder run the built
// JavaScript the product runs (recorder/dist/main.js), so a broken bundle fails the suite.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  execFileSync('bash', [resolve(import.meta.dirname, '../../../scripts/build-recorder.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}
