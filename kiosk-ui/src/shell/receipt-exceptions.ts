import type { Catalogue } from './i18n.js';

/**
 * A goods-receipt exception's reason (terminal/ledger/payloads.ts RECEIPT_EXCEPTION_REASONS): what the
 * unit is, not what to do. One catalogue for the receiving page's lines and the manager's list.
 */
export const receiptExceptionNames: Catalogue<
  | 'foreign'
  | 'recalled'
  | 'withdrawn'
  | 'blocked'
  | 'expired'
  | 'already_sold'
  | 'not_in_registry'
  | 'damaged'
  | 'other'
> = {
  'zh-CN': {
    foreign: '不在本送货单上',
    recalled: '已召回',
    withdrawn: '已撤市',
    blocked: '被盗、已销毁或已锁定',
    expired: '已过期',
    already_sold: '已售出过（疑似回流或复制）',
    not_in_registry: '未登记（疑似假冒）',
    damaged: '破损',
    other: '其他原因',
  },
  en: {
    foreign: 'Not on this delivery note',
    recalled: 'Recalled',
    withdrawn: 'Withdrawn',
    blocked: 'Stolen, destroyed or locked',
    expired: 'Expired',
    already_sold: 'Sold before (resold or copied pack)',
    not_in_registry: 'Not registered (possible fake)',
    damaged: 'Damaged',
    other: 'Other reason',
  },
};
