export { parseEd25519PublicKey, signCommand, verifyCommandSignature } from './command-signing.js';
export { createSync, type Sync, type SyncDeps, type SyncEvents, type SyncStatus } from './create-sync.js';
export { type SyncOptions, type SyncOptionsInput, syncOptionsSchema } from './options.js';
export * from './protocol.js';
export { planUpdate, type RegistryApplier, type TransferProgress } from './registry-transfer.js';
export { parseTerminalTopic, registryTopics, terminalTopics, upstreamSubscriptions } from './topics.js';
