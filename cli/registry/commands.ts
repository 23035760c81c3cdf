import type { CommandEntry } from '../args.js';

// Every module here is imported lazily, when its subcommand runs (the table is loaded at start).
const command = async () => (await import('./common.js')).registryCommand;
const keys = () => import('./keys-commands.js');
const author = () => import('./author-commands.js');
const terminal = () => import('./terminal-commands.js');

/** `veriterm registry …`: keys, root of trust, building and installing releases. */
export const registryCommands: CommandEntry[] = [
  {
    name: 'keygen',
    summary: 'generate an Ed25519 signing key (private file 0600, public .pub.json)',
    load: async () => (await command())((await keys()).keygen),
  },
  {
    name: 'root',
    summary: 'root of trust metadata',
    expandInHelp: true,
    commands: [
      {
        name: 'init',
        summary: 'create root metadata version 1',
        load: async () => (await command())((await keys()).rootInit),
      },
      {
        name: 'rotate',
        summary: 'create root metadata N+1, signed by old and new root keys',
        load: async () => (await command())((await keys()).rootRotate),
      },
    ],
  },
  {
    name: 'build',
    summary: 'build a signed snapshot from CSV or NDJSON',
    load: async () => (await command())((await author()).build),
  },
  {
    name: 'delta',
    summary: 'build a signed delta against a base registry database',
    load: async () => (await command())((await author()).delta),
  },
  {
    name: 'synth',
    summary: 'generate a realistic signed snapshot of N units',
    load: async () => (await command())((await author()).synth),
  },
  {
    name: 'inspect',
    summary: 'show what a manifest says (no verification)',
    load: async () => (await command())((await author()).inspect),
  },
  {
    name: 'verify',
    summary: 'verify a release fully without installing it',
    load: async () => (await command())((await author()).verify),
  },
  {
    name: 'import',
    summary: 'verify and install a release into the terminal registry',
    load: async () => (await command())((await terminal()).importCommand),
  },
  {
    name: 'pin',
    summary: 'pin the root of trust in the terminal registry',
    load: async () => (await command())((await terminal()).pin),
  },
];
