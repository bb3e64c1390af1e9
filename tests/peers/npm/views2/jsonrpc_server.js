// An rpc-websockets JSON-RPC 2.0 server on loopback: prints "listening PORT".
// Methods: sum([a, b]), fail() (throws); event "tick", emitted after each sum.
const { Server } = require('rpc-websockets');

const server = new Server({ host: '127.0.0.1', port: 0 });
server.register('sum', (params) => { setTimeout(() => server.emit('tick', params[0] + params[1]), 10); return params[0] + params[1]; });
server.register('fail', () => { throw new Error('it failed'); });
server.event('tick');
server.on('listening', () => console.log(`listening ${server.wss.address().port}`));
