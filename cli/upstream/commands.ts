import type { CommandEntry } from '../args.js';

/** `veriterm upstream …`: the reference upstream and its tools. */
export const upstreamCommands: CommandEntry[] = [
  {
    name: 'run',
    summary: 'run the reference upstream (the default: `veriterm upstream --broker …`)',
    load: () => import('./upstream.js'),
  },
  {
    name: 'command',
    summary: 'send one signed command to a terminal and print its result',
    load: async () => (await import('./upstream.js')).command,
  },
  {
    name: 'delivery',
    summary: "send delivery notes to a store's receiving terminal",
    commands: [
      {
        name: 'send',
        summary: "sign a delivery note, send it to a store's receiving terminal, print its outcome",
        load: async () => (await import('./delivery.js')).send,
      },
    ],
  },
  {
    name: 'deliveries',
    summary: 'list the delivery notes sent, their outcomes, receipts and diversion alerts',
    // `veriterm upstream deliveries --data DIR` lists, as before the group existed.
    default: 'list',
    commands: [
      {
        name: 'list',
        summary: 'list the delivery notes sent, their outcomes, receipts and diversion alerts (the default)',
        load: async () => (await import('./delivery.js')).list,
      },
      {
        name: 'import-local',
        summary: "once, moving to PostgreSQL: copy a worker's delivery notes from DIR/upstream.db into --db",
        load: async () => (await import('./deliveries-import.js')).importLocal,
      },
    ],
  },
  {
    name: 'acl',
    summary: "print the broker's mosquitto ACL file (pattern lines: no terminal listed)",
    load: async () => (await import('./upstream.js')).acl,
  },
  {
    name: 'revoke',
    summary: "revoke a terminal's enrolment (records refused, broker login denied)",
    load: async () => (await import('./upstream.js')).revoke,
  },
  {
    name: 'alerts',
    summary: 'the enforcement feed: clones, reports, diversion, forged records, with evidence',
    load: async () => (await import('./alerts.js')).alerts,
  },
  {
    name: 'evidence',
    summary: "check enforcement alerts' evidence offline",
    expandInHelp: true,
    commands: [
      {
        name: 'verify',
        summary: 'check the signed records of alerts in a file, without the upstream database',
        load: async () => (await import('./alerts.js')).evidenceVerify,
      },
    ],
  },
  {
    name: 'simulate',
    summary: 'fleet simulation: N terminals selling through mosquitto into this upstream, with figures',
    load: async () => (await import('./simulate/simulate.js')).simulate,
  },
  {
    name: 'enrol',
    summary: 'issue a one-time enrolment code for a terminal',
    load: () => import('./enrol.js'),
  },
];
