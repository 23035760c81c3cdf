import type { Locale } from './i18n.js';

/**
 * Names of the part a split pack (拆零) is sold in: the registry gives a lower-case token
 * (`strip`, `tablet`…); the pages show it in their language. An unknown token shows as it is.
 */
const ZH: Record<string, string> = {
  strip: '板',
  blister: '板',
  tablet: '片',
  capsule: '粒',
  sachet: '袋',
  vial: '支',
  ampoule: '支',
  bottle: '瓶',
  piece: '个',
};

/** "strips" / "板": the unit of `quantity` parts (English plural for anything but 1). */
export function unitName(unit: string, locale: Locale, quantity = 2): string {
  if (locale === 'zh-CN') return ZH[unit] ?? unit;
  return quantity === 1 ? unit : `${unit}s`;
}

/** "3/10 strips" / "3/10 板". */
export function partLabel(
  part: { quantity: number; packQuantity: number; unit: string },
  locale: Locale,
): string {
  const name = unitName(part.unit, locale, part.packQuantity);
  return `${part.quantity}/${part.packQuantity}${locale === 'zh-CN' ? '' : ' '}${name}`;
}
