// The process entry of the `veriterm` command: `node dist/cli/veriterm.js …` (what the systemd
// unit runs) or bin/veriterm.js, which imports this module from dist/ or from the sources.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
