import type { WsClientMessage, WsMessage } from '../../../terminal/http/wire-types.js';
import { getToken } from './api.js';

/** Closes the connection for good; `send` returns false when the socket is not open right now. */
export type WsConnection = (() => void) & { send(message: WsClientMessage): boolean };

/**
 * Keeps a WebSocket to /api/v1/ws open (reconnecting with backoff up to 5 s) and hands every
 * message to `onMessage`. Returns a function that closes it for good (with a `send`).
 */
export function connectWs(
  onMessage: (message: WsMessage) => void,
  onOpenChange?: (open: boolean) => void,
): WsConnection {
  let socket: WebSocket | undefined;
  let closed = false;
  let delay = 250;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    const token = getToken();
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
    socket = new WebSocket(url);
    socket.onopen = () => {
      delay = 250;
      onOpenChange?.(true);
    };
    socket.onmessage = (event) => {
      try {
        onMessage(JSON.parse(String(event.data)) as WsMessage);
      } catch {
        // A message we cannot read is dropped; the next verdict still shows.
      }
    };
    socket.onclose = () => {
      onOpenChange?.(false);
      if (closed) return;
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  open();
  const close = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    socket?.close();
  };
  return Object.assign(close, {
    send(message: WsClientMessage): boolean {
      if (socket?.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
  });
}
