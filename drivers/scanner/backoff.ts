/** Reopen delays that double from `initialMs` up to `maxMs`, so a missing device costs little. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #nextMs: number;

  constructor(initialMs: number, maxMs: number) {
    this.#initialMs = initialMs;
    this.#maxMs = Math.max(initialMs, maxMs);
    this.#nextMs = initialMs;
  }

  next(): number {
    const delay = this.#nextMs;
    this.#nextMs = Math.min(this.#maxMs, this.#nextMs * 2);
    return delay;
  }

  reset(): void {
    this.#nextMs = this.#initialMs;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `usb:0c2e:0b61:SERIAL`: the stable id of a USB device (vendor, product, serial number). */
export function usbDeviceId(vendorId: number, productId: number, serialNumber?: string): string {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return `usb:${hex(vendorId)}:${hex(productId)}${serialNumber ? `:${serialNumber}` : ''}`;
}
