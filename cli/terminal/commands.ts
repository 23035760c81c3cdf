import type { CommandEntry } from '../args.js';

/** `veriterm ledger …`: the terminal's signed record chain. */
export const ledgerCommands: CommandEntry[] = [
  {
    name: 'verify',
    summary: 'check the whole chain: sequence, hashes, signatures',
    load: async () => (await import('./ledger.js')).verifyCommand,
  },
  {
    name: 'export',
    summary: "print one UTC day's records as CSV or NDJSON",
    load: async () => (await import('./ledger.js')).exportCommand,
  },
  {
    name: 'recover',
    summary: "rebuild a lost terminal.db from upstream's copy of the chain",
    load: async () => (await import('./ledger.js')).recoverCommand,
  },
];
