// The environment variables the all-in-one launcher (`npm start`, deploy/src/all-in-one.ts) and the
// operator CLI (deploy/bin/duet.ts) read themselves: part of the one source of docs/env.md (see
// api/src/config-schema.ts). The roles they start read their own variables.
import type { EnvVarDoc } from '../../api/src/config-schema.ts';

export const DEPLOY_ENV: EnvVarDoc[] = [
  { names: ["DUET_HOST"], usedBy: ["all-in-one"], doc: "`127.0.0.1`: the address `npm start` listens on; a non-loopback one also generates a `METRICS_TOKEN`" },
  { names: ["RECORDER_ENABLED"], usedBy: ["all-in-one"], doc: "`1`; `0` runs no recorder in-process (recorded lessons are then not recorded unless `RECORDER_URL` is given)" },
  { names: ["DUET_DEMO_LESSON", "DUET_DEMO_RECORDING"], usedBy: ["all-in-one"], doc: "`1`, `0`: create (and print links for) a demo lesson that starts now; make it a recorded one" },
  { names: ["DUET_LOG_STDOUT"], usedBy: ["all-in-one"], doc: "`0`: the roles' JSON logs go to `$DUET_DATA_DIR/logs`; `1` sends them to stdout" },
  { names: ["DUET_PRINT_READY"], usedBy: ["all-in-one"], doc: "`0`; `1` prints a machine-readable `DUET_READY {apiUrl, wsUrl}` line (tests, scripts)" },
  { names: ["DUET_API_URL"], usedBy: ["cli"], doc: "`http://127.0.0.1:8080`, none: where `npx duet` finds the API; it authenticates with `DUET_API_KEY` (or `--api-key-file`); `duet doctor --env-from /etc/duet/<role>.env` checks a host with exactly its service's environment" },
];
