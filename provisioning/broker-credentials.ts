/**
 * Moved to terminal/sync/options-from-config.ts (the composition root needs it and nothing in
 * terminal/ imports provisioning/, DESIGN.md); kept here so provisioning's imports stay valid.
 */
export { syncOptionsFromConfig } from '../terminal/sync/options-from-config.js';
