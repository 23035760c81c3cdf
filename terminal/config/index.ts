export { DEFAULT_CONFIG_FILE, resolveConfigFile } from './config-file.js';
export {
  type ConfigIssue,
  type ConfigResult,
  ENV_OVERRIDES,
  formatConfigIssues,
  loadConfigFile,
  validateConfig,
} from './load-config.js';
export { type Config, type ConfigInput, configSchema, type Locale } from './schema.js';
