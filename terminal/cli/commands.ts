import type { CommandModule } from './args.js';

export interface CommandEntry {
  name: string;
  /** One line for `veriterm --help`. */
  summary: string;
  /** Loaded lazily so that `veriterm parse` does not pay for the HTTP server's imports. */
  load: () => Promise<CommandModule>;
}

/**
 * Every `veriterm` subcommand. Only commands that work are listed here: add a line when a
 * command lands, never before.
 */
export const commands: CommandEntry[] = [
  { name: 'devices', summary: 'list serial/HID/USB devices', load: () => import('./commands/devices.js') },
  { name: 'demo', summary: 'zero-config demo terminal (npm start)', load: () => import('./commands/demo.js') },
  { name: 'ledger', summary: 'verify or export the ledger', load: () => import('./commands/ledger.js') },
  { name: 'parse', summary: 'read scanner data into a unit code', load: () => import('./commands/parse.js') },
  { name: 'run', summary: 'start the terminal from --config FILE', load: () => import('./commands/run.js') },
  { name: 'registry', summary: 'signed code registry', load: () => import('./commands/registry.js') },
];
