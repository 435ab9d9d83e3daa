// Waits for loopback exchanges to finish: until no socket of this namespace is between states
// (SYN_SENT, SYN_RECV, FIN_WAIT1, CLOSE, LAST_ACK, CLOSING), so every reader that follows sees
// final states. A fixed 100-200 ms for "the last ACKs" was not always enough on a busy machine.
// Read synchronously: /proc/net names the main thread's namespace, the one the script is in.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** /proc/net/tcp's st codes of the states a finished exchange leaves behind no socket in. */
const TRANSIENT = new Set([2, 3, 4, 7, 9, 11]);

function inTransit(): number {
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => {
      try {
        return readFileSync(file, 'utf8').split('\n').slice(1);
      } catch {
        return []; // no IPv6 on this kernel
      }
    })
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f.length >= 4 && TRANSIENT.has(parseInt(f[3]!, 16));
    }).length;
}

/** Resolves once nothing is in transit; rejects at `deadline` (a Date.now() value). */
export async function tcpSettled(deadline: number): Promise<void> {
  for (;;) {
    const moving = inTransit();
    if (moving === 0) return;
    if (Date.now() > deadline) throw new Error(`${moving} sockets still between states`);
    await sleep(10);
  }
}
