// How the recorder is started in production: the built JavaScript (scripts/build-recorder.sh
// bundles src/main.ts into dist/main.js, so Node never loads its TypeScript stripper) with V8 set
// for a small, I/O-bound daemon whose memory is budgeted per lesson (deploy/bench/recording.ts):
//   --jitless                no JIT compilers: their code and executable memory are never
//                            touched (~8-10 MB resident); the recorder's JavaScript only routes
//                            a few requests and files, FFmpeg does the media work
//   --max-semi-space-size=1  a 1 MB young generation (a few MB less heap under load)
// The Dockerfile, the Kubernetes manifest, the systemd unit and docs/operate.md spell this same command
// (deploy/test checks them); the tests and the benchmark spawn it from here.
export const RECORDER_NODE_FLAGS: readonly string[] = ['--jitless', '--max-semi-space-size=1'];
/** Relative to the repository root. */
export const RECORDER_MAIN = 'recorder/dist/main.js';
/** `node <this>` from the repository root. */
export const RECORDER_ARGV: readonly string[] = [...RECORDER_NODE_FLAGS, RECORDER_MAIN];
