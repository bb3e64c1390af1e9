// A WebSocket client (npm ws): sends each argument after the URL as a text message, then one binary message,
// prints every message it gets back as a JSON line, and closes with 1000 once all came back.
// Usage: node ws_client.js URL MSG...
const WebSocket = require('ws');
const [url, ...messages] = process.argv.slice(2);
const ws = new WebSocket(url, { perMessageDeflate: false });
let left = messages.length + 1;
ws.on('open', () => {
  for (const m of messages) ws.send(m);
  ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
});
ws.on('message', (data, isBinary) => {
  console.log(JSON.stringify({ binary: isBinary, text: isBinary ? data.toString('hex') : data.toString() }));
  if (--left === 0) ws.close(1000, 'done');
});
ws.on('close', (code) => { console.log(JSON.stringify({ close: code })); process.exit(0); });
ws.on('error', (e) => { console.error(String(e)); process.exit(1); });
setTimeout(() => { console.error('timeout'); process.exit(2); }, 20000);
