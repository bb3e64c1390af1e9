// node http2 (built in) server for tests/probe: PORT from argv; answers 200 "ok" to every request.
const http2 = require('http2');
const server = http2.createServer();
server.on('stream', (stream) => {
  stream.on('error', () => {});
  stream.on('data', () => {});
  stream.respond({ ':status': 200 });
  stream.end('ok');
});
server.on('sessionError', () => {});
server.on('session', (s) => s.on('error', () => {}));
server.on('error', () => {});
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
