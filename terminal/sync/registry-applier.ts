import { readFileSync } from 'node:fs';
import { type ImportTrust, importRelease } from '../registry/import.js';
import { parseManifest } from '../registry/manifest.js';
import type { RegistryStore } from '../registry/store.js';
import type { RegistryApplier } from './registry-transfer.js';

/**
 * Connects the transfer to terminal/registry: the hash-checked files of a release (one
 * `*.manifest.json` and the body it names) go to `importRelease`, which verifies the root chain,
 * signatures, scope, expiry, version and content hash and applies in one transaction.
 */
export function registryStoreApplier(store: RegistryStore, trust: ImportTrust = {}): RegistryApplier {
  return {
    currentVersion(scope) {
      const state = store.state();
      return state && state.scope === scope ? state.version : undefined;
    },
    async apply({ scope, files }) {
      const manifestFile = files.find((f) => f.name.endsWith('.manifest.json'));
      if (!manifestFile) return { ok: false, code: 'malformed', message: 'release has no *.manifest.json' };
      let bodyName: string;
      try {
        bodyName = parseManifest(readFileSync(manifestFile.path, 'utf8')).signed.body.file;
      } catch (error) {
        return { ok: false, code: 'malformed', message: (error as Error).message };
      }
      const body = files.find((f) => f.name === bodyName);
      if (!body) return { ok: false, code: 'malformed', message: `release lacks its body file ${bodyName}` };
      try {
        const result = await importRelease(
          store,
          { manifest: readFileSync(manifestFile.path, 'utf8'), bodyFile: body.path },
          { scope, ...trust },
        );
        return result.ok ? { ok: true } : { ok: false, code: result.code, message: result.message };
      } catch (error) {
        return {
          ok: false,
          code: (error as { code?: string }).code ?? 'import_failed',
          message: (error as Error).message,
        };
      }
    },
  };
}
