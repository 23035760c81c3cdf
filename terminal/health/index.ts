export { reportProcess, reportRegistry, watchPrinter, watchScanner } from './feeders.js';
export {
  type HealthEntry,
  HealthModel,
  type HealthModelEvents,
  type HealthSnapshot,
} from './health-model.js';
export type * from './types.js';
