// stomp-broker-js (a STOMP broker over WebSocket, npm) on loopback at /stomp: prints "listening PORT".
// The broker never delivers a client's SEND back to the client itself, so on each SUBSCRIBE it publishes
// one message of its own to that destination ("welcome to DEST"), which a single connection then receives.
const http = require('http');
const StompServer = require('stomp-broker-js');

const server = http.createServer();
const broker = new StompServer({ server, path: '/stomp' });
broker.on('subscribe', (sub) => sub.socket && setTimeout(() => broker.send(sub.topic, {}, `welcome to ${sub.topic}`), 20));
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
