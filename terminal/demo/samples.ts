import type { VerdictKind } from '../verify/types.js';

const NAMES: Record<VerdictKind, { 'zh-CN': string; en: string }> = {
  genuine: { 'zh-CN': '正品', en: 'Genuine' },
  already_sold: { 'zh-CN': '已售出', en: 'Already sold' },
  recalled: { 'zh-CN': '已召回', en: 'Recalled' },
  withdrawn: { 'zh-CN': '已撤市', en: 'Withdrawn' },
  stolen: { 'zh-CN': '被盗', en: 'Stolen' },
  destroyed: { 'zh-CN': '已销毁', en: 'Destroyed' },
  locked: { 'zh-CN': '已锁定', en: 'Locked' },
  expired: { 'zh-CN': '已过期', en: 'Expired' },
  unknown: { 'zh-CN': '未登记（疑似假冒）', en: 'Unknown (possible fake)' },
  malformed: { 'zh-CN': '无法识别', en: 'Unreadable' },
  unverifiable: { 'zh-CN': '无法确认', en: 'Cannot confirm' },
};

/** Button label for a demo sample: the verdict it gives, the code's last characters, and the note in English. */
export function sampleLabel(
  verdict: VerdictKind,
  note: string,
  data: string,
): { 'zh-CN': string; en: string } {
  const name = NAMES[verdict];
  const tail = `…${data.slice(-4)}`;
  return {
    'zh-CN': `示例：${name['zh-CN']} ${tail}`,
    en: `Sample: ${name.en} ${tail}${note ? ` (${note})` : ''}`,
  };
}
