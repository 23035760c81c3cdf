import type { CommandEntry } from '../terminal/cli/args.js';

/**
 * Every `veriterm` subcommand, in `veriterm --help` order. Only commands that work are listed
 * here: add a line when a command lands, never before.
 *
 * This table lives outside terminal/ because it composes the layers: terminal/ never imports
 * provisioning/ or upstream/ (DESIGN.md), so the commands those own are wired in here. Each
 * command is loaded lazily, so `veriterm parse` does not pay for the HTTP server's,
 * the wizard's or the upstream's imports.
 */
export const commands: CommandEntry[] = [
  {
    name: 'devices',
    summary: 'list serial/HID/USB devices',
    load: () => import('../terminal/cli/commands/devices.js'),
  },
  {
    name: 'demo',
    summary: 'zero-config demo terminal (npm start)',
    load: () => import('./demo-command.js'),
  },
  {
    name: 'ledger',
    summary: 'verify or export the ledger',
    load: () => import('../terminal/cli/commands/ledger.js'),
  },
  {
    name: 'parse',
    summary: 'read scanner data into a unit code',
    load: () => import('../terminal/cli/commands/parse.js'),
  },
  {
    name: 'run',
    summary: 'start the terminal from --config FILE',
    load: () => import('../terminal/cli/commands/run.js'),
  },
  {
    name: 'registry',
    summary: 'signed code registry',
    load: () => import('../terminal/cli/commands/registry.js'),
  },
  {
    name: 'provision',
    summary: 'technician wizard: devices, identity, enrolment, config',
    load: () => import('../provisioning/cli/provision-command.js'),
  },
  {
    name: 'doctor',
    summary: 'check a terminal: config, devices, registry, broker, clock, disk',
    load: () => import('../provisioning/cli/doctor-command.js'),
  },
  {
    name: 'decommission',
    summary: 'take a terminal out of service and wipe its keys',
    load: () => import('../provisioning/cli/decommission-command.js'),
  },
  {
    name: 'deliveries',
    summary: 'import or list signed delivery notes (receiving)',
    load: () => import('./receiving/deliveries-command.js'),
  },
  {
    name: 'stock',
    summary: "the store's own stock per product (received − sold), CSV export",
    load: () => import('./receiving/stock-command.js'),
  },
  {
    name: 'upstream',
    summary: 'reference upstream',
    load: () => import('../upstream/cli/upstream-command.js'),
  },
];
