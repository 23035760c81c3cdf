export { documentFromJson, documentToJson } from './document-json.js';
export {
  PrintQueue,
  type PrintQueueDeps,
  type PrintQueueEvents,
  type PrintQueueOptions,
} from './print-queue.js';
export { printerHealth } from './printer-health.js';
export { PRINTING_MIGRATIONS, type PrintJob, type PrintJobState, PrintQueueStore } from './queue-store.js';
