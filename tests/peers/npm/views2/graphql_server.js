// A graphql-ws (graphql-transport-ws) server on loopback for the view tests: prints "listening PORT".
// Subscription greetings(count) yields count greetings then completes; fail yields an error.
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { buildSchema } = require('graphql');

const schema = buildSchema(`
  type Query { hello: String }
  type Subscription { greetings(count: Int = 3): String, fail: String }
`);
const roots = {
  query: { hello: () => 'world' },
  subscription: {
    greetings: async function* ({ count }) {
      for (let i = 0; i < Math.min(count, 100); i++) yield { greetings: `hello ${i}` };
    },
    fail: async function* () { throw new Error('no such thing'); },
  },
};
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
useServer({ schema, roots }, wss);
wss.on('listening', () => console.log(`listening ${wss.address().port}`));
