import { PROFILE_IDS } from '../terminal/receipts/index.js';
import type { Answers } from './answers.js';
import { type DetectOptions, detectDevices } from './devices.js';
import type { ProvisionUi } from './ui.js';

type Options = Record<string, unknown>;

/**
 * Picks the scanner and printer: from the answers when given, else from what detection found,
 * with manual entry for a device detection cannot see. 'none' is a valid choice for both.
 */
export async function chooseDevices(
  ui: ProvisionUi,
  answers: Answers,
  detect: DetectOptions,
): Promise<{ scanner?: Options; printer?: Options }> {
  const needDetect = answers.scanner === undefined || answers.printer === undefined;
  const detected = needDetect ? await detectDevices(detect) : [];
  const found = detected.filter((d) => !d.unavailable);
  if (needDetect)
    ui.info(
      found.length > 0
        ? `found: ${found.map((d) => d.label).join('; ')}`
        : 'no scanners or printers detected',
    );
  for (const d of detected)
    if (d.unavailable) ui.warn(`not offered: ${d.label}, ${d.unavailable} (stop it first to use this port)`);

  let scanner: Options | 'none' | undefined = answers.scanner;
  if (scanner === undefined) {
    const choice = await ui.select<Options | 'manual' | 'none'>({
      key: 'scanner',
      message: 'Scanner',
      options: [
        ...found.filter((d) => d.kind === 'scanner').map((d) => ({ value: d.options, label: d.label })),
        { value: 'manual' as const, label: 'serial scanner at another path…' },
        { value: 'none' as const, label: 'no scanner' },
      ],
    });
    scanner =
      choice === 'manual'
        ? {
            type: 'serial',
            path: await ui.text({
              key: 'scanner',
              message: 'Serial device path (prefer /dev/serial/by-id/…)',
              placeholder: '/dev/serial/by-id/usb-…',
            }),
          }
        : choice;
  }

  let printer: Options | 'none' | undefined = answers.printer;
  if (printer === undefined) {
    const choice = await ui.select<Options | 'network' | 'none'>({
      key: 'printer',
      message: 'Receipt printer',
      options: [
        ...found.filter((d) => d.kind === 'printer').map((d) => ({ value: d.options, label: d.label })),
        { value: 'network' as const, label: 'network printer at another address…' },
        { value: 'none' as const, label: 'no printer' },
      ],
    });
    if (choice === 'network') {
      const address = await ui.text({
        key: 'printer',
        message: 'Printer address host:port',
        placeholder: '192.168.1.50:9100',
        validate: (v) => (/^[^:\s]+(:\d{1,5})?$/.test(v) ? undefined : 'expected host or host:port'),
      });
      const [host, port] = address.split(':');
      printer = { transport: 'network', host: host!, port: port ? Number(port) : 9100 };
    } else printer = choice;
    if (printer !== 'none') printer = await askProfile(ui, printer);
  }
  return {
    ...(scanner !== 'none' ? { scanner } : {}),
    ...(printer !== 'none' ? { printer } : {}),
  };
}

/**
 * The receipt profile (paper width, code page, Chinese font) decides whether the slip prints
 * right: asked on a TTY when detection did not name one. Without a TTY the driver's default
 * ('generic') stays.
 */
export async function askProfile(ui: ProvisionUi, printer: Options, force = false): Promise<Options> {
  if (!ui.interactive || (typeof printer.profile === 'string' && !force)) return printer;
  const current = typeof printer.profile === 'string' ? printer.profile : undefined;
  const profile = await ui.select<string>({
    key: 'printer',
    message: 'Printer model (receipt profile)',
    options: [
      ...(current ? [{ value: current, label: `${current} (current)` }] : []),
      ...PROFILE_IDS.filter((id) => id !== current).map((id) => ({ value: id, label: id })),
    ],
  });
  return { ...printer, profile };
}
