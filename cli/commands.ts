import type { CommandEntry } from './args.js';
import { registryCommands } from './registry/commands.js';
import { ledgerCommands } from './terminal/commands.js';
import { upstreamCommands } from './upstream/commands.js';

/**
 * Every `veriterm` command, in `veriterm --help` order; groups nest their own tables
 * (./registry/commands.ts, …), all run by the one dispatcher (./dispatch.ts). Only commands that
 * work are listed: add a line when a command lands, never before.
 *
 * The command modules live in cli/ by the layer whose logic they call (terminal/, registry/,
 * provisioning/, upstream/): terminal/ never imports provisioning/ or upstream/ (DESIGN.md).
 * Each command is loaded lazily, so `veriterm parse` does not pay for the HTTP server's, the
 * wizard's or the upstream's imports.
 */
export const commands: CommandEntry[] = [
  {
    name: 'devices',
    summary: 'list serial/HID/USB devices',
    load: () => import('./terminal/devices.js'),
  },
  {
    name: 'demo',
    summary: 'zero-config demo terminal (npm start)',
    load: () => import('./terminal/demo.js'),
  },
  {
    name: 'ledger',
    summary: 'verify, export or recover the ledger',
    commands: ledgerCommands,
  },
  {
    name: 'parse',
    summary: 'read scanner data into a unit code',
    load: () => import('./terminal/parse.js'),
  },
  {
    name: 'run',
    summary: 'start the terminal from --config FILE',
    load: () => import('./terminal/run.js'),
  },
  {
    name: 'registry',
    summary: 'signed code registry',
    description:
      'The signed code registry: keys, root of trust, building and installing releases.\nFormat: docs/registry-format.md',
    commands: registryCommands,
  },
  {
    name: 'provision',
    summary: 'technician wizard: devices, identity, enrolment, config',
    load: () => import('./provisioning/provision.js'),
  },
  {
    name: 'doctor',
    summary: 'check a terminal: config, devices, registry, broker, clock, disk',
    load: () => import('./provisioning/doctor.js'),
  },
  {
    name: 'decommission',
    summary: 'take a terminal out of service and wipe its keys',
    load: () => import('./provisioning/decommission.js'),
  },
  {
    name: 'deliveries',
    summary: 'import or list signed delivery notes (receiving)',
    load: () => import('./receiving/deliveries-command.js'),
  },
  {
    name: 'stock',
    summary: "the store's own stock per product (received − sold − shipped out …), CSV export",
    load: () => import('./receiving/stock-command.js'),
  },
  {
    name: 'stocktake',
    summary: 'stocktakes and shipments out: list, differences report, CSV',
    load: () => import('./receiving/stocktake-command.js'),
  },
  {
    name: 'upstream',
    summary: 'reference upstream',
    description:
      "The reference upstream: ingest, registry releases, commands, enrolment. 'veriterm upstream --broker …' is 'veriterm upstream run --broker …'.",
    default: 'run',
    commands: upstreamCommands,
  },
];
