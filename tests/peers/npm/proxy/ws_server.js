// An echo WebSocket server (npm ws) on 127.0.0.1:PORT; prints "ready" once it listens. Usage: node ws_server.js PORT
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2]);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: process.argv[3] === 'deflate' });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log('ready'));
process.on('SIGTERM', () => { wss.close(); process.exit(0); });
