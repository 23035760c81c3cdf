import type { Verdict, VerdictKind } from '../../../terminal/http/wire-types.js';
import type { Catalogue } from '../shell/i18n.js';

type Key =
  | 'attractTitle'
  | 'attractHint'
  | 'manualLabel'
  | 'manualSubmit'
  | 'samplesTitle'
  | 'checking'
  | `title_${Headline}`
  | `body_${Headline}`
  | 'onPack'
  | 'registrySays'
  | 'soldHere'
  | 'soldElsewhere'
  | 'soldAt'
  | 'historyFirst'
  | 'historyRepeat'
  | 'historyOnce'
  | 'historyUpstream'
  | 'receivedOn'
  | 'receivedFrom'
  | 'product'
  | 'maker'
  | 'batch'
  | 'produced'
  | 'expires'
  | 'code'
  | 'guidance'
  | 'hotline'
  | 'report'
  | 'reported'
  | 'reportFailed'
  | 'again'
  | 'offline'
  | 'language';

/** Every string the kiosk shows, in both languages. Shopper words, not system words. */
export const kioskMessages: Catalogue<Key> = {
  'zh-CN': {
    attractTitle: '扫码验真',
    attractHint: '请将商品包装上的追溯码对准扫描窗口',
    manualLabel: '也可以输入码上的数字',
    manualSubmit: '查询',
    samplesTitle: '演示：点击示例码即可“扫描”',
    checking: '正在查询…',
    title_genuine: '正品',
    body_genuine: '此码已在监管码库中登记，状态正常，可以放心购买。',
    title_already_sold: '此码已被售出过',
    body_already_sold: '同一个码不应被卖出两次。此包装可能使用了复制的码。',
    title_recalled: '已召回',
    body_recalled: '该批次已被召回，请勿购买或使用。',
    title_withdrawn: '已撤市',
    body_withdrawn: '该产品已撤出市场，不得销售。',
    title_stolen: '登记为被盗商品',
    body_stolen: '此商品已登记为被盗，不得销售。',
    title_destroyed: '登记为已销毁',
    body_destroyed: '此商品已登记为销毁，却出现在货架上，可能是假冒。',
    title_locked: '已被监管部门锁定',
    body_locked: '此商品暂停销售，请联系店员。',
    title_expired: '已过期',
    body_expired: '此商品已超过有效期，请勿购买或使用。',
    title_unknown: '码库中没有此码',
    body_unknown: '该产品受监管，但这个码没有登记，可能是假冒商品。',
    title_malformed: '无法识别，请重新扫描',
    body_malformed: '请将码平放，对准扫描窗口再试一次。',
    title_opened: '已拆零，剩余{n}/{N}',
    body_opened: '此码为正品。本店按{unit}拆零销售此盒，已售出部分，剩余的仍在销售。',
    title_mismatch: '码与登记信息不符',
    body_mismatch: '此码已登记，但包装上印的批号或有效期与码库登记的不同，可能是假冒商品。',
    title_unverifiable: '暂时无法确认',
    body_unverifiable: '此商品目前无法验证（未纳入监管码库，或本机数据需要更新）。这并不代表是假货。',
    soldHere: '已于{at}在本店售出',
    soldElsewhere: '已于{at}在门店{store}售出',
    soldAt: '售出时间与地点',
    historyFirst: '这是此码在本机的第一次查询',
    historyRepeat: '此码在本机已被查询{n}次（首次{first}，最近{last}）',
    historyOnce: '此码在本机已被查询过1次（{last}）',
    historyUpstream: '全国累计查询{n}次',
    receivedOn: '本店于{date}从{supplier}进货验收',
    receivedFrom: '本店从{supplier}进货，正在验收',
    product: '商品',
    maker: '生产企业',
    batch: '批号',
    produced: '生产日期',
    expires: '有效期至',
    code: '追溯码',
    onPack: '（包装上所印）',
    registrySays: '码库登记：{value}',
    guidance: '请不要购买此商品，并告知店员。您可以在此举报这件可疑商品。',
    hotline: '消费者投诉热线：{hotline}',
    report: '举报可疑商品',
    reported: '已举报，谢谢！编号{ref}',
    reportFailed: '举报未能提交，请告知店员',
    again: '返回',
    offline: '连接中断，正在重连…',
    language: '语言',
  },
  en: {
    attractTitle: 'Check your product',
    attractHint: 'Hold the code on the pack up to the scanner window',
    manualLabel: 'Or type the digits under the code',
    manualSubmit: 'Check',
    samplesTitle: 'Demo: click a sample code to “scan” it',
    checking: 'Checking…',
    title_genuine: 'Genuine',
    body_genuine: 'This code is registered and in good standing. Safe to buy.',
    title_already_sold: 'This code was already sold',
    body_already_sold: 'A code should only be sold once. This pack may carry a copied code.',
    title_recalled: 'Recalled',
    body_recalled: 'This batch has been recalled. Do not buy or use it.',
    title_withdrawn: 'Withdrawn from sale',
    body_withdrawn: 'This product has been withdrawn from the market.',
    title_stolen: 'Reported stolen',
    body_stolen: 'This item is registered as stolen and may not be sold.',
    title_destroyed: 'Reported destroyed',
    body_destroyed: 'This item was registered as destroyed; finding it on a shelf suggests a fake.',
    title_locked: 'Blocked by the authorities',
    body_locked: 'This item is on hold. Please ask a member of staff.',
    title_expired: 'Expired',
    body_expired: 'This item is past its expiry date. Do not buy or use it.',
    title_unknown: 'Code not found',
    body_unknown: 'This product is registered, but this code is not. It may be counterfeit.',
    title_malformed: 'Could not read the code — please scan again',
    body_malformed: 'Hold the code flat and steady in front of the scanner window.',
    title_opened: 'Opened pack, {n} of {N} left',
    body_opened:
      'This code is genuine. This shop sells this pack by the {unit}; part of it is sold, the rest is still on sale.',
    title_mismatch: 'Code does not match its registration',
    body_mismatch:
      'This code is registered, but the batch or use-by date printed on the pack differs from the registry’s. It may be counterfeit.',
    title_unverifiable: 'Cannot confirm right now',
    body_unverifiable:
      'This item cannot be checked at the moment (not covered by the registry, or this terminal needs an update). That does not mean it is fake.',
    soldHere: 'Sold in this shop on {at}',
    soldElsewhere: 'Sold at store {store} on {at}',
    soldAt: 'Sold where and when',
    historyFirst: 'First time this code is checked here',
    historyRepeat: 'Checked {n} times here before (first {first}, last {last})',
    historyOnce: 'Checked once here before ({last})',
    historyUpstream: 'Checked {n} times nationwide',
    receivedOn: 'Received by this store on {date} from {supplier}',
    receivedFrom: 'Received by this store from {supplier} (delivery being checked in)',
    product: 'Product',
    maker: 'Maker',
    batch: 'Batch',
    produced: 'Produced',
    expires: 'Use by',
    code: 'Code',
    onPack: ' (printed on the pack)',
    registrySays: 'Registry says: {value}',
    guidance: 'Please do not buy this item, and tell a member of staff. You can report this pack here.',
    hotline: 'Consumer hotline: {hotline}',
    report: 'Report this pack',
    reported: 'Reported — thank you. Reference {ref}',
    reportFailed: 'The report could not be sent; please tell a member of staff',
    again: 'Back',
    offline: 'Connection lost, reconnecting…',
    language: 'Language',
  },
};

/**
 * What the headline says: the verdict, except an `unknown` code that IS registered but whose batch
 * or expiry disagree with its unit (`mismatch`): "not found" would be untrue, the words say why.
 */
export type Headline = VerdictKind | 'mismatch' | 'opened';

/**
 * A genuine pack of a splittable product opened here (拆零, `split` with parts left) reads
 * "opened pack, n of N left": it is still on sale, in parts, not "already sold".
 */
export function headlineOf(r: Pick<Verdict, 'verdict' | 'mismatch' | 'split'>): Headline {
  if (r.verdict === 'genuine' && r.split && r.split.remaining > 0) return 'opened';
  return r.verdict === 'unknown' && r.mismatch ? 'mismatch' : r.verdict;
}

/** Colour family and icon per verdict (DESIGN.md "kiosk shows"). */
export function toneOf(verdict: VerdictKind): 'good' | 'warn' | 'bad' | 'retry' | 'neutral' {
  switch (verdict) {
    case 'genuine':
      return 'good';
    case 'already_sold':
      return 'warn';
    case 'malformed':
      return 'retry';
    case 'unverifiable':
      return 'neutral';
    default:
      return 'bad';
  }
}

/** Verdicts that get the "do not buy, report" guidance and button. */
export function isSuspicious(verdict: VerdictKind): boolean {
  return ['already_sold', 'unknown', 'recalled', 'withdrawn', 'stolen', 'destroyed', 'locked'].includes(
    verdict,
  );
}
