/** Where a provisioned terminal's human-edited config lives unless told otherwise. */
export const DEFAULT_CONFIG_FILE = '/etc/veriterm/config.json';

/** The config file a command should use: its --config flag, else $VERITERM_CONFIG, else the default. */
export function resolveConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.VERITERM_CONFIG ?? DEFAULT_CONFIG_FILE;
}
