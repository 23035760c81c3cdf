import type { Scan, ScannerSource } from '../../drivers/scanner/types.js';
import type { WsMessage } from '../http/wire-types.js';
import type { Logger } from '../logger.js';
import type { Verifier } from '../verify/verifier.js';

export interface KioskLaneDeps {
  verifier: Verifier;
  /** Where verdicts go: the WebSocket hub's broadcast (kiosk role and up). */
  publish: (message: WsMessage) => void;
  logger: Logger;
}

/**
 * The kiosk workflow: every scan from a kiosk scanner is verified (and logged) and its verdict pushed
 * to the page. Scans are handled synchronously in arrival order, so two quick scans show in order.
 */
export class KioskLane {
  readonly #deps: KioskLaneDeps;
  readonly #attached = new Map<ScannerSource, (scan: Scan) => void>();

  constructor(deps: KioskLaneDeps) {
    this.#deps = deps;
  }

  /** Starts taking scans from `scanner` (the scanner's own start/stop is the caller's). */
  attach(scanner: ScannerSource): void {
    if (this.#attached.has(scanner)) return;
    const onScan = (scan: Scan) => this.handle(scan);
    scanner.on('scan', onScan);
    this.#attached.set(scanner, onScan);
  }

  detachAll(): void {
    for (const [scanner, onScan] of this.#attached) scanner.off('scan', onScan);
    this.#attached.clear();
  }

  /** Verifies one scan and publishes the verdict. Faults are logged, never thrown into the scanner. */
  handle(scan: Scan): void {
    try {
      const verdict = this.#deps.verifier.verify(scan.data, {
        source: 'kiosk',
        deviceId: scan.deviceId,
        ...(scan.symbology ? { aim: scan.symbology } : {}),
      });
      this.#deps.publish({
        type: 'verdict',
        lane: 'kiosk',
        data: verdict,
        scan: { deviceId: scan.deviceId, receivedAt: scan.receivedAt },
      });
    } catch (error) {
      this.#deps.logger.error({ err: error, deviceId: scan.deviceId }, 'kiosk scan failed');
    }
  }
}
