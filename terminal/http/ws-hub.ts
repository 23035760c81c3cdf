import type { WebSocket } from '@fastify/websocket';
import { type Principal, type Role, roleAllows } from './auth/roles.js';

interface Client {
  socket: WebSocket;
  principal: Principal;
  source: string;
}

export interface WsHubOptions {
  /** A client with more than this queued is skipped for a broadcast. @default 1 MiB */
  maxBufferedBytes?: number;
  /** Connections open at once. @default 64 */
  maxClients?: number;
  /** Connections open at once from one source (request-source.ts). @default 8 */
  maxClientsPerSource?: number;
}

/** Why a connection is not taken: the terminal's or the source's connection limit. */
export type WsAdmission = { ok: true } | { ok: false; code: 'too_many_connections'; message: string };

/**
 * Fan-out of server pushes to connected pages. Each message goes only to clients whose role allows it
 * (kiosk pages never receive checkout or health details). Slow clients are not waited for: a socket
 * with more than `maxBufferedBytes` queued is skipped for that message rather than stalling the rest.
 * Connections are bounded in total and per source, so one client cannot hold every socket.
 */
export class WsHub {
  readonly #clients = new Set<Client>();
  readonly #perSource = new Map<string, number>();
  readonly #maxBufferedBytes: number;
  readonly #maxClients: number;
  readonly #maxPerSource: number;

  constructor(options: WsHubOptions = {}) {
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1_048_576;
    this.#maxClients = options.maxClients ?? 64;
    this.#maxPerSource = options.maxClientsPerSource ?? 8;
  }

  /** Whether one more connection from `source` fits (asked before the upgrade, and again in `add`). */
  admit(source: string): WsAdmission {
    if (this.#clients.size >= this.#maxClients)
      return {
        ok: false,
        code: 'too_many_connections',
        message: `The terminal has ${this.#maxClients} WebSocket connections open; try again later`,
      };
    if ((this.#perSource.get(source) ?? 0) >= this.#maxPerSource)
      return {
        ok: false,
        code: 'too_many_connections',
        message: `${this.#maxPerSource} WebSocket connections are open from ${source}; close one first`,
      };
    return { ok: true };
  }

  /** Takes a connection, or closes it (1013, try again later) when over a limit. */
  add(socket: WebSocket, principal: Principal, source = 'unknown'): boolean {
    const admission = this.admit(source);
    if (!admission.ok) {
      socket.close(1013, 'too many connections');
      return false;
    }
    const client = { socket, principal, source };
    this.#clients.add(client);
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    socket.on('close', () => {
      if (!this.#clients.delete(client)) return;
      const n = (this.#perSource.get(source) ?? 1) - 1;
      if (n <= 0) this.#perSource.delete(source);
      else this.#perSource.set(source, n);
    });
    return true;
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
    this.#perSource.clear();
  }
}
