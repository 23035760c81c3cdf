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
  {
    name: 'demo',
    summary: 'zero-config demo terminal (npm start)',
    load: () => import('./commands/demo.js'),
  },
  { name: 'ledger', summary: 'verify or export the ledger', load: () => import('./commands/ledger.js') },
  { name: 'parse', summary: 'read scanner data into a unit code', load: () => import('./commands/parse.js') },
  { name: 'run', summary: 'start the terminal from --config FILE', load: () => import('./commands/run.js') },
  { name: 'registry', summary: 'signed code registry', load: () => import('./commands/registry.js') },
  {
    name: 'provision',
    summary: 'technician wizard: devices, identity, enrolment, config',
    load: () => import('./commands/provision.js'),
  },
  {
    name: 'doctor',
    summary: 'check a terminal: config, devices, registry, broker, clock, disk',
    load: () => import('./commands/doctor.js'),
  },
  {
    name: 'decommission',
    summary: 'take a terminal out of service and wipe its keys',
    load: () => import('./commands/decommission.js'),
  },
  { name: 'upstream', summary: 'reference upstream', load: () => import('./commands/upstream.js') },
];
