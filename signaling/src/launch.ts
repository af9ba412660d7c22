// How the media node is started in production, with V8 set for a process that holds thousands of
// idle participant sockets:
//   --max-semi-space-size=8  an 8 MB young generation instead of V8's default for this machine
//                            size (16-32 MB per semi-space): after a burst of joins the default
//                            keeps tens of MB of young-generation pages resident that an idle
//                            node never gives back. The signaling bench (docs/benchmarks.md,
//                            "Signaling capacity"): 21.7 → 11.0 KB resident per idle participant,
//                            ~0.3 ms more CPU per join (more frequent scavenges).
// The Dockerfile, the Kubernetes manifest, the Helm chart, the systemd unit and docs/operate.md
// spell this same command (deploy/test checks them); the signaling bench spawns it from here.
export const MEDIA_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
/** Relative to the repository root. */
export const MEDIA_NODE_MAIN = 'signaling/src/main.ts';
/** `node <this>` from the repository root. */
export const MEDIA_NODE_ARGV: readonly string[] = [...MEDIA_NODE_FLAGS, MEDIA_NODE_MAIN];
