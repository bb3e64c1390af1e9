// A node `ws` server and client on 127.0.0.1:PORT talking for tests/pcap: text, binary, a 70000-byte
// message, a fragmented message, a ping, then a close with a code and reason. Prints "done" at the end.
const { WebSocketServer, WebSocket } = require("ws");
const port = Number(process.argv[2]);
const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
wss.on("connection", (sock) => {
  sock.on("message", (data, isBinary) => sock.send(data, { binary: isBinary }));
  sock.on("close", () => wss.close());
});
wss.on("listening", () => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/node`, { perMessageDeflate: false });
  let got = 0;
  ws.on("open", () => {
    ws.send("hello from node");
    ws.send(Buffer.from([0, 1, 2, 255]));
    ws.send("z".repeat(70000));
    ws.send("frag-", { fin: false });
    ws.send("ment", { fin: true });
    ws.ping("p1");
  });
  ws.on("message", () => {
    got += 1;
    if (got === 4) ws.close(4001, "bye now");
  });
  ws.on("close", () => { console.log("done"); });
});
