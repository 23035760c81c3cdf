/**
 * One terminal of the store-day tests, as its own process (so SIGKILL is real): the production
 * command `veriterm run --config FILE` (cli/terminal/run.ts), behind a movable clock
 * (clock-shift.ts, which must stay the first import). Args: the config file. With env
 * `STOREDAY_STATIC` (a built kiosk-ui directory, for the Chromium journeys) the composition root
 * is called directly with that directory, since `run` serves kiosk-ui/dist.
 */
import './clock-shift.js';
import { run } from '../../../cli/terminal/run.js';
import { loadConfigFile } from '../../../terminal/config/load-config.js';
import { createLogger } from '../../../terminal/logger.js';
import { startTerminal } from '../../../terminal/main.js';

const [configFile] = process.argv.slice(2) as [string];
const staticDir = process.env.STOREDAY_STATIC;
if (staticDir) {
  const loaded = loadConfigFile(configFile);
  if (!loaded.ok) throw new Error(`bad config: ${JSON.stringify(loaded.issues)}`);
  const terminal = await startTerminal(loaded.config, createLogger({ level: loaded.config.log.level }), {
    staticDir,
  });
  process.stdout.write(`veriterm: terminal listening on ${terminal.url}\n`);
} else {
  process.exitCode = await run(['--config', configFile], {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
  });
  process.exit();
}
