import type { ManagerReceiving } from '../../../terminal/http/wire-types.js';
import type { Catalogue } from '../shell/i18n.js';

type Key =
  | 'receiving'
  | 'mode'
  | 'onHand'
  | 'received'
  | 'sold'
  | 'products'
  | 'openDeliveries'
  | 'deliveries'
  | 'noDeliveries'
  | 'delivery'
  | 'supplier'
  | 'state'
  | 'expected'
  | 'missing'
  | 'putAside'
  | 'extra'
  | 'open'
  | 'closed_complete'
  | 'closed_partial'
  | 'discrepancies'
  | 'exceptions'
  | 'noExceptions'
  | 'diversions'
  | 'noDiversions'
  | 'putAsideYes'
  | 'flaggedOnly'
  | 'byCashier'
  | 'topProducts';

/** The manager page's receiving section (GET /api/v1/manager/receiving). */
export const receivingMessages: Catalogue<Key> = {
  'zh-CN': {
    receiving: '收货与库存',
    mode: '收货核验：{mode}',
    onHand: '在库',
    received: '已收货',
    sold: '已售',
    products: '品种',
    openDeliveries: '未完成的到货',
    deliveries: '到货单',
    noDeliveries: '暂无到货单',
    delivery: '到货单号',
    supplier: '供货商',
    state: '状态',
    expected: '应到',
    missing: '缺少',
    putAside: '已拒收',
    extra: '多出',
    open: '验收中',
    closed_complete: '已完成',
    closed_partial: '部分收货',
    discrepancies: '差异',
    exceptions: '收货异常',
    noExceptions: '最近的到货没有异常',
    diversions: '未经本店收货而销售',
    noDiversions: '没有未收货的销售',
    putAsideYes: '已拒收',
    flaggedOnly: '已标记',
    byCashier: '收银员{who}',
    topProducts: '在库最多的商品',
  },
  en: {
    receiving: 'Receiving and stock',
    mode: 'Receiving check: {mode}',
    onHand: 'On hand',
    received: 'Received',
    sold: 'Sold',
    products: 'Products',
    openDeliveries: 'Open deliveries',
    deliveries: 'Deliveries',
    noDeliveries: 'No delivery notes yet',
    delivery: 'Delivery',
    supplier: 'Supplier',
    state: 'State',
    expected: 'Expected',
    missing: 'Missing',
    putAside: 'Put aside',
    extra: 'Extra',
    open: 'Being checked in',
    closed_complete: 'Complete',
    closed_partial: 'Partial',
    discrepancies: 'Discrepancies',
    exceptions: 'Receiving exceptions',
    noExceptions: 'No exceptions in recent deliveries',
    diversions: 'Sold without being received here',
    noDiversions: 'No unit sold without being received',
    putAsideYes: 'Put aside',
    flaggedOnly: 'Flagged',
    byCashier: 'cashier {who}',
    topProducts: 'Most units on hand',
  },
};

/** `receiving.mode` in words. */
export const receivingModeMessages: Catalogue<ManagerReceiving['mode']> = {
  'zh-CN': { off: '未启用', warn: '提醒（可售，上报）', enforce: '严格（需经理批准）' },
  en: { off: 'off', warn: 'warn (sold with a note, reported)', enforce: 'enforce (needs a manager)' },
};

/** Why receiving does not count a unit sold at checkout (a diversion alert's `reason`). */
export const diversionStateMessages: Catalogue<'not_received' | 'expected' | 'put_aside'> = {
  'zh-CN': {
    not_received: '不在本店任何到货单上',
    expected: '在到货单上但未验收',
    put_aside: '收货时已拒收',
  },
  en: {
    not_received: 'on no delivery of this store',
    expected: 'on a delivery, never checked in',
    put_aside: 'put aside at receiving',
  },
};

export { receiptExceptionNames as receiptExceptionMessages } from '../shell/receipt-exceptions.js';
