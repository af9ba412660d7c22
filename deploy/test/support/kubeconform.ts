// kubeconform against the Kubernetes 1.33 schemas vendored in deploy/k8s/schemas, offline.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEPLOY_DIR, run } from './exec.ts';
import { KUBECONFORM } from './tools.ts';

const SCHEMAS = join(DEPLOY_DIR, 'k8s', 'schemas', '{{ .ResourceKind }}{{ .KindSuffix }}.json');

export interface Report {
  resources?: { filename: string; kind: string; name: string; status: string; msg: string }[];
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

/** Validates files (or stdin `-` with `input`). */
export async function kubeconform(files: string[], input?: string): Promise<{ code: number | null; report: Report; raw: string }> {
  expect(existsSync(KUBECONFORM), `kubeconform not found at ${KUBECONFORM}: run scripts/install-test-tools.sh (needs Go)`).toBe(true);
  // -strict: unknown fields and duplicate keys are errors. No -ignore-missing-schemas: a kind
  // without a vendored schema fails instead of passing unchecked.
  const r = await run(KUBECONFORM, ['-strict', '-summary', '-output', 'json', '-schema-location', SCHEMAS, ...files], input === undefined ? {} : { input });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, raw: r.stdout + r.stderr };
}
