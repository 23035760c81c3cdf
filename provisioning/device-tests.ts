import { VeritermError } from '../terminal/errors.js';
import type { Answers } from './answers.js';
import { askProfile, chooseDevices } from './choose-devices.js';
import type { DetectOptions } from './devices.js';
import { describeParse, describePrinter, describeScanner, printDocument, testScan } from './devices.js';
import { testSlip } from './slips.js';
import type { ProvisionUi } from './ui.js';

type Options = Record<string, unknown>;

/** Step 1's test scan: on a TTY a failed scan may be tried again; `device_gone` always stops. */
export async function runTestScan(
  ui: ProvisionUi,
  scanner: Options,
  answers: Answers,
  onWaitingForScan?: () => void,
): Promise<void> {
  for (;;) {
    try {
      ui.info(`opening ${describeScanner(scanner)} …`);
      const onWaiting = () => {
        ui.info(`Scan any product code with ${describeScanner(scanner)} now`);
        onWaitingForScan?.();
      };
      const { scan, parsed } = await testScan(scanner, { timeoutMs: answers.scanTimeoutMs, onWaiting });
      ui.success(
        `scan read: ${JSON.stringify(scan.data.replace(/\x1d/g, '<GS>'))}\n   ${describeParse(parsed)}`,
      );
      return;
    } catch (error) {
      if (!ui.interactive || !(error instanceof VeritermError) || error.code === 'device_gone') throw error;
      ui.warn(error.message);
      if (!(await ui.confirm({ key: 'retryScan', message: 'Try the test scan again?' }))) throw error;
    }
  }
}

/**
 * Step 1's test print. A printer answering DLE EOT proves nothing about the slip itself (wrong
 * paper width, code page or Chinese font print garbage), so on a TTY the technician is asked
 * whether it came out right, and if not may pick another profile or another printer. Returns
 * the printer to configure (undefined when the technician chose none).
 */
export async function runTestPrint(
  ui: ProvisionUi,
  printer: Options,
  ids: { storeId: string; terminalId: string },
  deps: { answers: Answers; detect: DetectOptions; now: () => Date },
): Promise<Options | undefined> {
  let current: Options | undefined = printer;
  while (current) {
    await printDocument(current, testSlip({ ...ids, at: deps.now() }));
    ui.success(
      `test slip printed on ${describePrinter(current)}: check the Chinese line and scan its QR code`,
    );
    if (!ui.interactive) return current;
    const right = await ui.confirm({
      key: 'testPrintOk',
      message: 'Did the test slip come out right (Chinese line readable, QR code scans, nothing cut off)?',
    });
    if (right) return current;
    const next = await ui.select<'profile' | 'printer' | 'again' | 'keep'>({
      key: 'testPrintOk',
      message: 'What next?',
      options: [
        { value: 'profile', label: 'choose another printer model (profile) and print again' },
        { value: 'printer', label: 'choose another printer' },
        { value: 'again', label: 'print again (after fixing paper or cover)' },
        { value: 'keep', label: 'keep this printer as it is' },
      ],
    });
    if (next === 'keep') return current;
    if (next === 'profile') current = await askProfile(ui, current, true);
    else if (next === 'printer')
      current = (
        await chooseDevices(ui, { ...deps.answers, scanner: 'none', printer: undefined }, deps.detect)
      ).printer;
  }
  return undefined;
}
