export { reportProcess, reportRegistry, watchPrinter, watchScanner } from './feeders.js';
export {
  type HealthEntry,
  HealthModel,
  type HealthModelEvents,
  type HealthSnapshot,
} from './health-model.js';
export { REASON_CODES, REASON_PARAMS, type Reason, type ReasonCode } from './reason-codes.js';
export type * from './types.js';
