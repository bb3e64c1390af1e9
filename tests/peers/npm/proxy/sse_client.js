// An EventSource client (npm eventsource): prints each event as a JSON line, exits after N events.
// The server dropping the stream makes it reconnect with Last-Event-ID, as a browser does.
// Usage: node sse_client.js URL N
const EventSource = require('eventsource');
const [url, n] = [process.argv[2], Number(process.argv[3])];
const es = new EventSource(url);
let seen = 0;
es.onmessage = (e) => {
  console.log(JSON.stringify({ data: e.data, id: e.lastEventId }));
  if (++seen >= n) { es.close(); process.exit(0); }
};
es.onerror = () => console.log(JSON.stringify({ error: true }));
setTimeout(() => { console.error('timeout'); process.exit(2); }, 20000);
