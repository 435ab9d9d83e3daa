// A server for the fin-timeout-myth scenario (twstorm runs it through `server.command`): it
// answers each request like twstorm's echo server, then, when the client's FIN arrives, closes
// every other connection and ignores the FIN on the rest. Those stay half-open — CLOSE_WAIT
// here, orphaned FIN_WAIT2 on a client that has already called close() — until this process
// exits. That is the server bug that makes tcp_fin_timeout matter: only an orphaned FIN_WAIT2
// waiting for a FIN that never comes is governed by it.
//
// Environment: TWSTORM_SERVER_HOST and TWSTORM_SERVER_PORT (twstorm sets them);
// TWSTORM_REQUEST_BYTES and TWSTORM_RESPONSE_BYTES (default 64, the scenario's payload; set them
// in the command line if you change it).
import net from 'node:net';

const host = process.env.TWSTORM_SERVER_HOST ?? '127.0.0.1';
const port = Number(process.env.TWSTORM_SERVER_PORT ?? 7000);
const requestBytes = Number(process.env.TWSTORM_REQUEST_BYTES ?? 64);
const response = Buffer.alloc(Number(process.env.TWSTORM_RESPONSE_BYTES ?? 64), 'x');

let accepted = 0;
// The ignored sockets are kept referenced, so nothing closes them before the process exits.
const ignored = new Set();

// allowHalfOpen: Node would otherwise end its side as soon as the client's FIN arrives.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const closes = accepted++ % 2 === 0;
  let got = 0;
  let replied = false;
  socket.on('data', (chunk) => {
    got += chunk.length;
    if (!replied && got >= requestBytes) {
      replied = true;
      socket.write(response);
    }
  });
  socket.on('end', () => (closes ? socket.end() : ignored.add(socket)));
  socket.on('error', () => socket.destroy());
  socket.on('close', () => ignored.delete(socket));
});

server.listen(port, host);
// twstorm stops its server with SIGTERM: exit at once (the kernel closes what is left).
process.on('SIGTERM', () => process.exit(0));
