import { isIPv6 } from 'node:net';

/**
 * The source a request counts against in limits (PIN throttle, WebSocket connections, scan and
 * sign-in rates): the client address Fastify reports as `request.ip`. That is the socket's peer
 * unless `http.trustProxy` is configured, so a client cannot pick its source with X-Forwarded-For.
 *
 * IPv4-mapped IPv6 (`::ffff:10.0.0.5`) is the IPv4 address; other IPv6 addresses count by their
 * /64 prefix, since one host on a LAN can take any number of addresses inside its /64 (RFC 4941
 * temporary addresses) and would otherwise be many sources.
 */
export function sourceOf(request: { ip: string }): string {
  return normalizeSource(request.ip);
}

export function normalizeSource(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const groups = expandIPv6(ip);
  if (groups.every((g, i) => (i < 7 ? g === 0 : g === 1))) return '::1';
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The 8 groups of an IPv6 address (zone id dropped, `::` expanded, trailing IPv4 converted). */
function expandIPv6(ip: string): number[] {
  let text = ip.split('%')[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => Number.parseInt(g, 16));
}
