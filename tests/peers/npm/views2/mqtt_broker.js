// An aedes MQTT broker with a WebSocket listener (subprotocol "mqtt") on loopback: prints "listening PORT".
const { WebSocketServer, createWebSocketStream } = require('ws');

(async () => {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const wss = new WebSocketServer({
    host: '127.0.0.1', port: 0,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  wss.on('connection', (ws) => broker.handle(createWebSocketStream(ws)));
  wss.on('listening', () => console.log(`listening ${wss.address().port}`));
})();
