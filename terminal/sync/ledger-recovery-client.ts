import { VeritermError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  type LedgerTip,
  ledgerTipSchema,
  type RestoredWriteOff,
  WRITE_OFF_PAGE_MAX,
  writeOffPageSchema,
} from './ledger-protocol.js';
import { MqttLink } from './link.js';
import { type SyncOptionsInput, syncOptionsSchema } from './options.js';
import { PROTOCOL_VERSION } from './protocol.js';
import { RequestClient } from './request-client.js';
import { terminalTopics } from './topics.js';

export interface UpstreamLedgerState {
  tip: LedgerTip;
  writeOffs: RestoredWriteOff[];
}

/**
 * Asks upstream, over the terminal's own broker login and topics, where its copy of this
 * terminal's chain ends and which write-offs it holds as active (terminal/sync/ledger-protocol.ts).
 * Uses a clean session (it must not leave a second set of subscriptions in the terminal's
 * persistent session). Throws `upstream_unreachable` when the broker cannot be reached in
 * `timeoutMs`, `upstream_refused` when upstream answers with an error.
 */
export async function fetchUpstreamLedger(
  input: SyncOptionsInput,
  logger: Logger,
  timeoutMs = 15_000,
): Promise<UpstreamLedgerState> {
  const options = syncOptionsSchema.parse(input);
  const topics = terminalTopics(options.storeId, options.terminalId);
  const link = new MqttLink(
    {
      url: options.brokerUrl,
      clientId: options.clientId ?? `vt-${options.storeId}-${options.terminalId}`,
      protocol: options.protocol,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      clean: true,
      sessionExpirySeconds: 0,
      keepaliveSeconds: options.keepaliveSeconds,
      reconnect: { ...options.reconnect, maxDelayMs: Math.min(options.reconnect.maxDelayMs, 2000) },
      subscriptions: [topics.ledgerResponse],
    },
    logger.child({ module: 'ledger-recover' }),
  );
  const requests = new RequestClient(
    (payload, correlation) =>
      link.publish(topics.ledgerRequest, payload, {
        qos: 1,
        properties: { responseTopic: topics.ledgerResponse, correlationData: Buffer.from(correlation) },
      }),
    topics.ledgerResponse,
  );
  link.on('message', (topic, payload) => {
    if (topic !== topics.ledgerResponse) return;
    try {
      requests.onResponse(payload);
    } catch (error) {
      logger.warn({ err: error }, 'unreadable ledger response ignored');
    }
  });
  let lastReason = 'no answer';
  link.on('down', (reason) => {
    lastReason = reason;
  });
  const connected = new Promise<void>((resolve) => link.once('connect', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new VeritermError(
            'upstream_unreachable',
            `Cannot reach upstream at ${options.brokerUrl} within ${Math.round(timeoutMs / 1000)} s (${lastReason}). ` +
              "Recovery needs upstream's copy of the ledger: restore the link (veriterm doctor) and run it again. " +
              'Recovering offline from an exported file is not supported yet.',
          ),
        ),
      timeoutMs,
    );
  });
  link.start();
  try {
    await Promise.race([connected, deadline]);
    const ask = async (body: Record<string, unknown>): Promise<unknown> => {
      const reply = await Promise.race([
        requests.request({ v: PROTOCOL_VERSION, ...body }, timeoutMs),
        deadline,
      ]);
      if (reply.header.status !== 'ok') {
        throw new VeritermError(
          'upstream_refused',
          `Upstream refused the ledger request: ${reply.header.error?.code ?? 'error'} (${reply.header.error?.message ?? ''})`,
        );
      }
      return JSON.parse(reply.body.toString('utf8')) as unknown;
    };
    const tip = ledgerTipSchema.parse(await ask({ op: 'tip' }));
    const writeOffs: RestoredWriteOff[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = writeOffPageSchema.parse(
        await ask({ op: 'write_offs', afterSeq, limit: WRITE_OFF_PAGE_MAX }),
      );
      writeOffs.push(...page.writeOffs.filter((w) => w.seq <= tip.seq));
      if (page.next === null || page.next >= tip.seq) break;
      afterSeq = page.next;
    }
    return { tip, writeOffs };
  } finally {
    clearTimeout(timer);
    requests.failAll('done');
    await link.stop();
  }
}
