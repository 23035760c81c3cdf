import type { WebSocket } from '@fastify/websocket';
import { type Principal, type Role, roleAllows } from './auth/roles.js';

interface Client {
  socket: WebSocket;
  principal: Principal;
}

/**
 * Fan-out of server pushes to connected pages. Each message goes only to clients whose role allows it
 * (kiosk pages never receive checkout or health details). Slow clients are not waited for: a socket
 * with more than `maxBufferedBytes` queued is skipped for that message rather than stalling the rest.
 */
export class WsHub {
  readonly #clients = new Set<Client>();
  readonly #maxBufferedBytes: number;

  constructor(options: { maxBufferedBytes?: number } = {}) {
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1_048_576;
  }

  add(socket: WebSocket, principal: Principal): void {
    const client = { socket, principal };
    this.#clients.add(client);
    socket.on('close', () => this.#clients.delete(client));
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Sends `message` (JSON) to every open client with at least `minRole`. Returns how many got it. */
  broadcast(message: unknown, minRole: Role = 'kiosk'): number {
    if (this.#clients.size === 0) return 0;
    const text = JSON.stringify(message);
    let sent = 0;
    for (const { socket, principal } of this.#clients) {
      if (socket.readyState !== socket.OPEN || !roleAllows(principal.role, minRole)) continue;
      if (socket.bufferedAmount > this.#maxBufferedBytes) continue;
      socket.send(text);
      sent++;
    }
    return sent;
  }

  closeAll(): void {
    for (const { socket } of this.#clients) socket.close(1001, 'server stopping');
    this.#clients.clear();
  }
}
