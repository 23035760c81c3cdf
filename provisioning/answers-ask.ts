import type { Answers } from './answers.js';
import type { ProvisionUi } from './ui.js';

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export interface TerminalAnswers {
  storeId: string;
  terminalId: string;
  role: 'kiosk' | 'checkout';
  httpPort: number;
  locale: Locale;
}

/**
 * Step 1's questions about the terminal itself. Ids and role are required (asked, or a missing
 * answer without a TTY); the HTTP port and the kiosk language have defaults, so they are asked
 * only on a TTY and otherwise take the default.
 */
export async function askTerminal(
  ui: ProvisionUi,
  answers: Answers,
  known?: { storeId: string; terminalId: string; role: 'kiosk' | 'checkout' },
): Promise<TerminalAnswers> {
  const ask = (key: 'storeId' | 'terminalId', message: string) =>
    answers[key] ??
    known?.[key] ??
    ui.text({
      key,
      message,
      validate: (v) => (ID.test(v) ? undefined : 'expected 1-64 of A-Z a-z 0-9 _ . -'),
    });
  const storeId = await ask('storeId', 'Store id');
  const terminalId = await ask('terminalId', 'Terminal id');
  const role =
    answers.role ??
    known?.role ??
    (await ui.select<'kiosk' | 'checkout'>({
      key: 'role',
      message: 'Role of this terminal',
      options: [
        { value: 'kiosk', label: 'kiosk', hint: 'shoppers check products' },
        { value: 'checkout', label: 'checkout', hint: 'cashier lane, writes off codes' },
      ],
    }));
  const httpPort =
    answers.httpPort ??
    (ui.interactive
      ? Number(
          await ui.text({
            key: 'httpPort',
            message: 'HTTP port of the kiosk page and API',
            initial: String(DEFAULT_HTTP_PORT),
            validate: (v) =>
              /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65_535
                ? undefined
                : 'expected a port number 1-65535',
          }),
        )
      : DEFAULT_HTTP_PORT);
  const locale =
    answers.locale ??
    (ui.interactive
      ? await ui.select<Locale>({
          key: 'locale',
          message: 'Language the kiosk shows first (shoppers can switch)',
          options: [
            { value: 'zh-CN', label: '简体中文 (zh-CN)' },
            { value: 'en', label: 'English (en)' },
          ],
        })
      : DEFAULT_LOCALE);
  return { storeId, terminalId, role, httpPort, locale };
}
