import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { terminalTopicRoles, terminalTopics } from '../terminal/sync/topics.js';
import { type EmbeddedLogin, passwordMatches, readEmbeddedLogin } from './embedded-broker-logins.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1': the demo broker is not for the network */
  host?: string;
  /**
   * Directory of logins (embedded-broker-logins.ts `issueEmbeddedLogin`): every client must log in
   * with one of them; there is no anonymous access.
   */
  loginsDir: string;
}

/** MQTT 3.1.1 §3.2.2.3 CONNACK return codes. */
const IDENTIFIER_REJECTED = 2;
const NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** What a login may publish to and subscribe to. */
export interface TopicRules {
  canPublish(topic: string): boolean;
  canSubscribe(filter: string): boolean;
}

/**
 * The embedded broker's ACL, as the mosquitto ACL of upstream/broker-acl.ts: a terminal publishes
 * only its uplink topics and subscribes only to its downlink topics and the registry; the upstream
 * login uses every `vt/` topic. `$SYS/` stays closed to publishers (aedes' own default rule).
 */
export function topicRules(login: EmbeddedLogin): TopicRules {
  if (login.role === 'upstream') {
    return {
      canPublish: (topic) => topic.startsWith('vt/'),
      canSubscribe: (filter) => filter.startsWith('vt/'),
    };
  }
  const { uplink, downlink } = terminalTopicRoles(
    terminalTopics(login.storeId ?? '', login.terminalId ?? ''),
  );
  const up = new Set(uplink);
  const down = new Set(downlink);
  return {
    canPublish: (topic) => up.has(topic),
    // Registry releases are the same for every terminal of a scope: readable, wildcards included.
    canSubscribe: (filter) => down.has(filter) || filter.startsWith('vt/registry/'),
  };
}

/**
 * An in-process MQTT broker (aedes) for `npm start` and quick local runs: MQTT 3.1.1 only
 * (terminal/sync falls back to 3.1.1 by itself), no TLS, no shared subscriptions. It listens on
 * 127.0.0.1 by default and every client logs in (no anonymous access): a terminal's login may use
 * only its own topics and must connect with its username as client id, so one login cannot take
 * over another terminal's session. Production uses mosquitto, EMQX or HiveMQ (docs/sync.md).
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const logins = new WeakMap<Client, TopicRules>();
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const login = username === undefined ? undefined : readEmbeddedLogin(options.loginsDir, username);
      if (!login || !passwordMatches(login.password, password)) {
        done(authError('not authorized', NOT_AUTHORIZED), null);
        return;
      }
      // Client id bound to the login, as mosquitto's use_username_as_clientid does for terminals.
      if (login.role === 'terminal' && client.id !== login.username) {
        done(authError(`client id must be ${login.username}`, IDENTIFIER_REJECTED), null);
        return;
      }
      logins.set(client, topicRules(login));
      done(null, true);
    },
    authorizePublish: (client, packet, callback) => {
      // client is null only for a will aedes publishes after its client is gone: it was checked
      // against that client's rules when the client connected (see below).
      if (client === null) return callback(null);
      const rules = logins.get(client);
      if (!rules?.canPublish(packet.topic)) return callback(new Error(`not authorized: ${packet.topic}`));
      callback(null);
    },
    authorizeSubscribe: (client, subscription, callback) => {
      // A refused filter is negated (SUBACK 0x80), not an error that drops the connection.
      callback(null, logins.get(client)?.canSubscribe(subscription.topic) ? subscription : null);
    },
    preConnect: (_client, packet, callback) => {
      // A will is published on the client's behalf later: it must be a topic the client could publish.
      const willTopic = packet.will?.topic;
      if (willTopic === undefined) return callback(null, true);
      const username = packet.username;
      const login = username === undefined ? undefined : readEmbeddedLogin(options.loginsDir, username);
      callback(null, login !== undefined && topicRules(login).canPublish(willTopic));
    },
  });
  const server: Server = createServer(broker.handle as (socket: Socket) => void);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
