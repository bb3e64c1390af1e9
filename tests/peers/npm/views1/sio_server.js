// The npm socket.io server for tests/views: node sio_server.js PORT [PING_INTERVAL_MS]
// Prints "listening PORT" once it accepts connections on 127.0.0.1. Events:
//   "chat message" (msg, ack): acks "got <msg>", then emits "chat message" back to the sender
//   "upload" (buffer, ack): acks the byte length, then emits "file" with a 4-byte binary attachment
//   namespace /admin: "whoami" (ack) acks "admin"
const { Server } = require("socket.io");
const http = require("http");

const port = Number(process.argv[2]);
const pingInterval = Number(process.argv[3] || 25000);
const server = http.createServer();
const io = new Server(server, { pingInterval, pingTimeout: 2000, transports: ["websocket"] });

io.on("connection", (socket) => {
  socket.on("chat message", (msg, ack) => {
    if (typeof ack === "function") ack("got " + msg);
    socket.emit("chat message", msg);
  });
  socket.on("upload", (buf, ack) => {
    if (typeof ack === "function") ack(buf.length);
    socket.emit("file", Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  });
});
io.of("/admin").on("connection", (socket) => {
  socket.on("whoami", (ack) => { if (typeof ack === "function") ack("admin"); });
});
server.listen(port, "127.0.0.1", () => { console.log("listening " + port); });
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
