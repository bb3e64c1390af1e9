// A subscriptions-transport-ws server (Apollo's legacy protocol, subprotocol "graphql-ws") on loopback:
// prints "listening PORT". Subscription ticks(count) yields count ticks then completes.
const http = require('http');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const { buildSchema, execute, subscribe } = require('graphql');

const schema = buildSchema('type Query { hello: String } type Subscription { ticks(count: Int = 2): Int }');
const rootValue = {
  hello: () => 'world',
  ticks: async function* ({ count }) {
    for (let i = 1; i <= Math.min(count, 100); i++) yield { ticks: i };
  },
};
const server = http.createServer();
SubscriptionServer.create({ schema, execute, subscribe, rootValue, keepAlive: 10000 }, { server, path: '/graphql' });
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
