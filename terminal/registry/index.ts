/**
 * The signed code registry: public API. Terminal side (store, import, pin, freshness), authoring
 * side (keys, root metadata, snapshot/delta builders, synthesizer, demo registry).
 * Format: docs/registry-format.md.
 */

export { productKeyOfUnit, productKeysOfUnit } from './body-format.js';
export {
  type BuildOptions,
  buildDelta,
  buildSnapshot,
  type DeltaInput,
  type SnapshotInput,
} from './build.js';
export {
  createDemoRegistry,
  DEMO_PRODUCTS,
  DEMO_VERSION,
  type DemoCode,
  type DemoRegistry,
  openDemoRegistry,
} from './demo.js';
export { isRegistryError, RegistryError, type RegistryRefusal, type RegistryRefusalCode } from './errors.js';
export { DEFAULT_MAX_REGISTRY_AGE_MS, type RegistryFreshness, registryFreshness } from './freshness.js';
export {
  checkpointRegistry,
  type ImportResult,
  type ImportTrust,
  importRelease,
  type ReleaseSource,
} from './import.js';
export {
  generateSigningKey,
  keyIdOf,
  type PublicKeyInfo,
  publicKeyFile,
  readPublicKey,
  readSigningKey,
  type SigningKey,
  writeSigningKey,
} from './keys.js';
export { type ManifestSigned, parseManifest, type ReleaseManifest } from './manifest.js';
export { type PinOptions, type PinResult, pinRoot } from './pin.js';
export {
  createRoot,
  parseRoot,
  type RootMetadata,
  type RootOptions,
  type RootSigned,
  rotateRoot,
  verifyRootChain,
} from './root.js';
export { RegistryStore, type RegistryStoreOptions } from './store.js';
export { type SynthOptions, synthesize } from './synth.js';
export type {
  LookupResult,
  RegistryBatch,
  RegistryProduct,
  RegistryReader,
  RegistryState,
  RegistryUnit,
  UnitStatus,
} from './types.js';
export { bodyFileFor, type ReleaseFiles, type ReleaseHeader, SnapshotWriter } from './writer.js';
