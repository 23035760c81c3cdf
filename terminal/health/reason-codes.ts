/**
 * Every health reason the terminal can report, as a stable code with the names of its parameters.
 * The manager page translates a code and its parameters (kiosk-ui/src/manager/messages.ts); the
 * English `reason` sent alongside is the page's fallback and what the MQTT status summary carries.
 *
 * Parameter names follow one convention so the page can format them per locale without knowing the
 * code: `…At` is an ISO time, `…Bytes` a byte count, `hours` an age in hours (one decimal),
 * `component` a health component id; `detail`, `message` and `code` are free text from a device,
 * a driver or upstream, and `file` a path, shown as they are.
 */
export const REASON_PARAMS = {
  // scanner:<deviceId> (health/feeders.ts watchScanner)
  'scanner.connected': [],
  'scanner.connecting': [],
  'scanner.stopped': [],
  'scanner.disconnected': [],
  'scanner.disconnected_detail': ['detail'],
  'scanner.unreadable': ['detail'],
  // printer:<id> (health/feeders.ts watchPrinter, printing/printer-health.ts)
  'printer.unchecked': [],
  'printer.ready': [],
  'printer.printing': ['waiting'],
  'printer.paper_out': [],
  'printer.paper_low': [],
  'printer.cover_open': [],
  'printer.offline': [],
  'printer.offline_detail': ['detail'],
  'printer.error': [],
  'printer.error_detail': ['detail'],
  // registry (health/feeders.ts reportRegistry)
  'registry.missing': [],
  'registry.expired': ['version', 'expiresAt'],
  'registry.stale': ['version', 'hours'],
  'registry.aging': ['version', 'hours'],
  'registry.current': ['version', 'hours'],
  // registry-update:<scope> (sync/registry-transfer.ts)
  'registry_update.progress': ['scope', 'version', 'percent'],
  'registry_update.stalled': ['scope', 'detail'],
  'registry_update.current': ['scope'],
  // upstream (sync/create-sync.ts)
  'upstream.offline': ['backlog'],
  'upstream.refused': ['seq', 'code'],
  'upstream.impossible_ack': ['detail'],
  'upstream.sending': ['backlog'],
  'upstream.delivered': [],
  // process (health/feeders.ts reportProcess)
  'process.memory_high': ['rssBytes'],
  'process.running': ['rssBytes'],
  // storage (health/probes.ts reportStorage; health/storage-monitor.ts for disk_full)
  'storage.disk_full': ['file', 'freeBytes'],
  'storage.unknown': [],
  'storage.full': ['freeBytes', 'dbBytes'],
  'storage.low': ['freeBytes', 'dbBytes'],
  'storage.ok': ['freeBytes', 'dbBytes'],
  // clock (health/probes.ts ClockSkewProbe)
  'clock.unknown': [],
  'clock.ahead': ['seconds'],
  'clock.behind': ['seconds'],
  'clock.in_step': ['seconds'],
  // errors (health/probes.ts RecentErrors)
  'errors.recent': ['component', 'message'],
  'errors.none': [],
} as const satisfies Record<string, readonly string[]>;

export type ReasonCode = keyof typeof REASON_PARAMS;

/** The codes in a fixed order (tests check every one has a template in every language). */
export const REASON_CODES = Object.keys(REASON_PARAMS) as ReasonCode[];

type ParamNames<C extends ReasonCode> = (typeof REASON_PARAMS)[C][number];

/**
 * `code` with exactly the parameters its template needs: `params` is required when the code has
 * any and absent when it has none, so a report site cannot forget one.
 */
export type Reason = {
  [C in ReasonCode]: [ParamNames<C>] extends [never]
    ? { code: C; params?: undefined }
    : { code: C; params: Record<ParamNames<C>, string | number> };
}[ReasonCode];
