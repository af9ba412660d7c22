// The LiveKit page server as its own process, for the network lab: started inside the servers'
// namespace (anchor.ts servePageIn), so participants load the page from 127.0.0.1 there (a secure
// origin for the camera). Prints the origin; stops when its stdin closes.
import { servePage } from './anchor.ts';

const { origin, server } = await servePage();
console.log(origin);
process.stdin.resume();
process.stdin.on('end', () => server.close(() => process.exit(0)));
