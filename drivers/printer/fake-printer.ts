import { PrinterError } from './errors.js';
import { type DeviceState, SimulatedPrinterDevice } from './simulated-device.js';
import { StreamPrinter, type StreamPrinterOptions } from './stream-printer.js';

interface FakeLinkControl {
  connected: boolean;
  respond: (bytes: Uint8Array) => void;
  close: (() => void) | undefined;
}

/**
 * An in-memory ReceiptPrinter for tests and the demo: the real StreamPrinter logic (serialised
 * writes, DLE EOT polling, status events) over a SimulatedPrinterDevice instead of a socket.
 * `unplug()` / `plug()` simulate a lost link; `setState({ paperOut: true })` a fault.
 */
export class FakePrinter extends StreamPrinter {
  readonly device: SimulatedPrinterDevice;
  private readonly control: FakeLinkControl;

  constructor(id = 'fake', options: StreamPrinterOptions = {}) {
    const control: FakeLinkControl = { connected: true, respond: () => undefined, close: undefined };
    const device = new SimulatedPrinterDevice((bytes) => control.respond(bytes));
    super(
      id,
      async (handlers) => {
        if (!control.connected) throw new PrinterError('printer_offline', 'Fake printer unplugged');
        // Answers arrive asynchronously, as they would over a wire.
        control.respond = (bytes) => queueMicrotask(() => handlers.onData(bytes));
        control.close = () => handlers.onClose();
        return {
          write: async (bytes) => {
            if (!control.connected) throw new PrinterError('printer_offline', 'Fake printer unplugged');
            device.receive(bytes);
          },
          close: async () => {
            control.respond = () => undefined;
          },
        };
      },
      { pollIntervalMs: 100, statusTimeoutMs: 500, ...options },
    );
    this.device = device;
    this.control = control;
  }

  setState(state: Partial<DeviceState>): void {
    this.device.set(state);
  }

  /** The link drops and cannot be reopened until `plug()`. */
  unplug(): void {
    this.control.connected = false;
    this.control.respond = () => undefined;
    this.control.close?.();
  }

  plug(): void {
    this.control.connected = true;
  }
}
