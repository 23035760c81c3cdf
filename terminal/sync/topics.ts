/**
 * The MQTT topic scheme (docs/sync.md documents it with the broker ACL).
 * Everything a terminal publishes lives under its own prefix `vt/{store}/{terminal}/`, so one ACL
 * pattern (`pattern readwrite vt/%u/#` style, per certificate CN) confines it. Registry topics
 * are read-only for terminals. MQTT 3.1.1 §4.7: `+`, `#` and `/` are not allowed inside a level.
 */
export interface TerminalTopics {
  prefix: string;
  /** up, QoS 1, retained; last will "offline". */
  status: string;
  /** up, QoS 1: signed record batches. */
  records: string;
  /** down, QoS 1: upstream's acknowledgement (highest contiguous persisted seq). */
  acks: string;
  /** down, QoS 1: signed commands. */
  cmd: string;
  /** up, QoS 1: command results. */
  cmdResult: string;
  /** up, QoS 1: registry transfer requests (MQTT 5 request/response). */
  registryRequest: string;
  /** down, QoS 1: responses to registry transfer requests. */
  registryResponse: string;
  /** up, QoS 1: ledger recovery requests (`veriterm ledger recover`; request/response as registry). */
  ledgerRequest: string;
  /** down, QoS 1: responses to ledger recovery requests. */
  ledgerResponse: string;
  /** down, QoS 1, message expiry: signed delivery notes for this receiving point (terminal/receiving). */
  deliveries: string;
  /** up, QoS 1: the outcome of each delivery note (accepted, already imported, refused with a code). */
  deliveryResult: string;
}

/** What a terminal publishes (uplink) and reads (downlink) under its own prefix: the broker ACL's lists. */
export function terminalTopicRoles(t: TerminalTopics): { uplink: string[]; downlink: string[] } {
  return {
    uplink: [t.status, t.records, t.cmdResult, t.registryRequest, t.ledgerRequest, t.deliveryResult],
    downlink: [t.acks, t.cmd, t.registryResponse, t.ledgerResponse, t.deliveries],
  };
}

const LEVEL = /^[A-Za-z0-9_.-]{1,64}$/;

/** True when `value` can be one topic level (no wildcards, separators or `$`). */
export function isTopicLevel(value: string): boolean {
  return LEVEL.test(value);
}

export function terminalTopics(storeId: string, terminalId: string): TerminalTopics {
  const prefix = `vt/${storeId}/${terminalId}`;
  return {
    prefix,
    status: `${prefix}/status`,
    records: `${prefix}/records`,
    acks: `${prefix}/acks`,
    cmd: `${prefix}/cmd`,
    cmdResult: `${prefix}/cmd/result`,
    registryRequest: `${prefix}/registry/req`,
    registryResponse: `${prefix}/registry/res`,
    ledgerRequest: `${prefix}/ledger/req`,
    ledgerResponse: `${prefix}/ledger/res`,
    deliveries: `${prefix}/deliveries`,
    deliveryResult: `${prefix}/deliveries/result`,
  };
}

export interface RegistryTopics {
  /** down, QoS 1, retained: the latest release announcement. */
  manifest: string;
  /** down, QoS 1: a delta from version `from`, pushed live to online terminals. */
  delta: (from: number) => string;
  deltaWildcard: string;
}

export function registryTopics(scope: string): RegistryTopics {
  return {
    manifest: `vt/registry/${scope}/manifest`,
    delta: (from) => `vt/registry/${scope}/delta/${from}`,
    deltaWildcard: `vt/registry/${scope}/delta/+`,
  };
}

/** Upstream's subscriptions; `$share/{group}/` lets several ingest workers split the load (MQTT 5 §4.8.2). */
export function upstreamSubscriptions(group: string | undefined): {
  records: string;
  registryRequests: string;
  ledgerRequests: string;
  status: string;
  cmdResults: string;
  deliveryResults: string;
} {
  const share = (topic: string) => (group ? `$share/${group}/${topic}` : topic);
  return {
    records: share('vt/+/+/records'),
    registryRequests: share('vt/+/+/registry/req'),
    ledgerRequests: share('vt/+/+/ledger/req'),
    // Not shared, as delivery results: only the worker that sent a command waits for its result.
    cmdResults: 'vt/+/+/cmd/result',
    // Not shared: only the worker that sent a note waits for its outcome. Every worker records it
    // in the upstream storage's delivery notes (the first wins; a worker on its own SQLite file
    // has no row for another's note). Shared, half the outcomes of two workers went to the one
    // that did not send (send timed out, transfer notes stayed pending).
    deliveryResults: 'vt/+/+/deliveries/result',
    // Status is retained and small: every worker keeps the whole picture, so it is not shared.
    status: 'vt/+/+/status',
  };
}

/** Splits `vt/{store}/{terminal}/…` into its ids, or undefined when the topic is not a terminal topic. */
export function parseTerminalTopic(
  topic: string,
): { storeId: string; terminalId: string; rest: string } | undefined {
  const parts = topic.split('/');
  if (parts.length < 4 || parts[0] !== 'vt' || parts[1] === 'registry') return undefined;
  return { storeId: parts[1]!, terminalId: parts[2]!, rest: parts.slice(3).join('/') };
}
