#!/usr/bin/env node
// The `duet` operator CLI (deploy/src/cli). Runs on Node 24 (type stripping): `npx duet help`.
import { runCli } from '../src/cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
