import { formatDate, type Locale } from '../shell/i18n.js';
import { componentNames, reasonMessages } from './messages.js';

/**
 * A tile's title: `printer:receipt` → "打印机receipt" / "Printer receipt" (no typed space after Han
 * characters: shell.css leaves that gap to text-autospace); unknown kinds show the id.
 */
export function titleOf(component: string, locale: Locale): string {
  const [kind, id] = component.split(':');
  const name = componentNames[locale][kind ?? component] ?? component;
  if (!id) return name;
  return locale === 'zh-CN' ? `${name}${id}` : `${name} ${id}`;
}

/** One parameter in the page's language, by the naming convention of terminal/health/reason-codes.ts. */
function formatParam(name: string, value: string | number, locale: Locale): string {
  if (name.endsWith('At') && typeof value === 'string') return formatDate(value, locale, true);
  if (name.endsWith('Bytes') && typeof value === 'number') return `${Math.round(value / 1_048_576)} MB`;
  if (name === 'hours' && typeof value === 'number') return value.toFixed(1);
  if (name === 'component' && typeof value === 'string') return titleOf(value, locale);
  return String(value);
}

/**
 * A health item's reason in the page's language: the template for its code with the parameters
 * filled in. Falls back to the server's English `reason` for a code this page does not know (a newer
 * terminal) or a template whose parameter is missing.
 */
export function reasonText(
  item: { code: string; params?: Record<string, string | number> | undefined; reason: string },
  locale: Locale,
): string {
  const templates: Record<string, string> = reasonMessages[locale];
  if (!Object.hasOwn(templates, item.code)) return item.reason;
  const template = templates[item.code]!;
  let missing = false;
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = item.params?.[name];
    if (value === undefined) {
      missing = true;
      return '';
    }
    return formatParam(name, value, locale);
  });
  return missing ? item.reason : text;
}

/**
 * A fixed server value (alert kind, verdict, job state, …) in the page's language from one of the
 * tables in manager/messages.ts; a value the table does not know (a newer terminal) shows as it came.
 */
export function enumText(
  table: Record<Locale, Record<string, string>>,
  locale: Locale,
  value: string,
): string {
  const words = table[locale];
  return Object.hasOwn(words, value) ? words[value]! : value;
}
