import type { PutAsideReason, ScanAnswer, ScanProblemCode } from '../../../terminal/http/wire-types.js';
import type { Catalogue } from '../shell/i18n.js';

type Key =
  | 'title'
  | 'signOut'
  | 'deliveries'
  | 'noDeliveries'
  | 'closedDeliveries'
  | 'arrival'
  | 'listCounts'
  | 'back'
  | 'expected'
  | 'received'
  | 'missing'
  | 'extra'
  | 'putAsideCount'
  | 'scanPrompt'
  | 'openMode'
  | 'openHint'
  | 'asideMode'
  | 'asideHint'
  | 'cancel'
  | 'close'
  | 'closeTitle'
  | 'closeComplete'
  | 'closePartial'
  | 'closeReason'
  | 'closeReasonHint'
  | 'closeConfirm'
  | 'closeMissing'
  | 'closedAs'
  | 'receipt'
  | 'exceptions'
  | 'noExceptions'
  | 'putAsideDone'
  | 'putAsideButton'
  | 'typeCode'
  | 'enter'
  | 'demoLabels'
  | 'failed'
  | 'offline'
  | 'checkedIn'
  | 'unitCheckedIn'
  | 'opened'
  | 'putAside'
  | 'nothing';

export const receivingMessages: Catalogue<Key> = {
  'zh-CN': {
    title: '收货查验',
    signOut: '退出',
    deliveries: '待收货的送货单',
    noDeliveries: '没有待收货的送货单',
    closedDeliveries: '已结束',
    arrival: '预计到货：{at}',
    listCounts: '已收{received}/{expected}，缺少{missing}',
    back: '返回',
    expected: '应收',
    received: '已收',
    missing: '缺少',
    extra: '多出',
    putAsideCount: '已搁置{n}件',
    scanPrompt: '请扫描托盘、箱或单品',
    openMode: '拆箱',
    openHint: '扫描要拆开的箱或托盘，之后逐件扫描',
    asideMode: '搁置',
    asideHint: '选择原因，再扫描要搁置的物品',
    cancel: '取消',
    close: '结束收货',
    closeTitle: '结束本次收货',
    closeComplete: '全部收齐',
    closePartial: '部分收货',
    closeReason: '原因（部分收货必填）',
    closeReasonHint: '例如：托盘2缺一箱',
    closeConfirm: '确认结束',
    closeMissing: '仍缺{n}件：只能按部分收货结束',
    closedAs: '已结束：{outcome}',
    receipt: '收货记录：{id}',
    exceptions: '异常（{n}）',
    noExceptions: '暂无异常',
    putAsideDone: '已搁置',
    putAsideButton: '搁置',
    typeCode: '手动输入编码',
    enter: '确定',
    demoLabels: '演示标签（点按即扫描）',
    failed: '未完成：{message}',
    offline: '无法连接终端，请重试',
    checkedIn: '{target}已收货：{n}件',
    unitCheckedIn: '单品已收货',
    opened: '{target}已拆开：请逐件扫描',
    putAside: '{target}已搁置',
    nothing: '{target}：无变化',
  },
  en: {
    title: 'Receiving',
    signOut: 'Sign out',
    deliveries: 'Deliveries to receive',
    noDeliveries: 'No delivery to receive',
    closedDeliveries: 'Closed',
    arrival: 'Expected {at}',
    listCounts: 'Received {received}/{expected} · missing {missing}',
    back: 'Back',
    expected: 'Expected',
    received: 'Received',
    missing: 'Missing',
    extra: 'Extra',
    putAsideCount: '{n} put aside',
    scanPrompt: 'Scan a pallet, case or unit',
    openMode: 'Open case',
    openHint: 'Scan the case or pallet to open, then its units one by one',
    asideMode: 'Put aside',
    asideHint: 'Pick a reason, then scan what to put aside',
    cancel: 'Cancel',
    close: 'Close delivery',
    closeTitle: 'Close this delivery',
    closeComplete: 'Complete',
    closePartial: 'Partial',
    closeReason: 'Reason (needed for partial)',
    closeReasonHint: 'e.g. pallet 2 one case short',
    closeConfirm: 'Close it',
    closeMissing: '{n} still missing: close it as partial',
    closedAs: 'Closed: {outcome}',
    receipt: 'Receipt record {id}',
    exceptions: 'Exceptions ({n})',
    noExceptions: 'No exceptions',
    putAsideDone: 'Put aside',
    putAsideButton: 'Put aside',
    typeCode: 'Type a code',
    enter: 'Enter',
    demoLabels: 'Demo labels (tap to scan)',
    failed: 'Not done: {message}',
    offline: 'Cannot reach the terminal; try again',
    checkedIn: '{target} checked in: {n} units',
    unitCheckedIn: 'Unit checked in',
    opened: '{target} opened: scan its units one by one',
    putAside: '{target} put aside',
    nothing: '{target}: nothing changed',
  },
};

/** What a scan named, in a sentence's first place. */
export const targetNames: Catalogue<ScanAnswer['target']> = {
  'zh-CN': { pallet: '托盘', case: '箱', unit: '单品', unknown: '编码' },
  en: { pallet: 'Pallet', case: 'Case', unit: 'Unit', unknown: 'Code' },
};

/** Every problem a scan can name, and every exception reason a line can carry. */
export const problemNames: Catalogue<ScanProblemCode> = {
  'zh-CN': {
    foreign: '不在本送货单上',
    recalled: '已召回：请搁置',
    withdrawn: '已撤市：请搁置',
    blocked: '被盗、已销毁或已锁定：请搁置',
    expired: '已过期',
    already_sold: '已售出过：疑似回流或复制',
    not_in_registry: '未登记：疑似假冒',
    damaged: '破损',
    other: '其他原因',
    already_checked_in: '已收过：无变化',
    container_opened: '已拆箱：请逐件扫描',
    put_aside_earlier: '之前已搁置',
    unreadable: '无法识别：请重新扫描',
    delivery_closed: '送货单已结束',
    not_a_container: '不是本单的托盘或箱：无法拆开',
  },
  en: {
    foreign: 'Not on this delivery note',
    recalled: 'Recalled: put it aside',
    withdrawn: 'Withdrawn: put it aside',
    blocked: 'Stolen, destroyed or locked: put it aside',
    expired: 'Expired',
    already_sold: 'Sold before: a resold or copied pack',
    not_in_registry: 'Not registered: possible fake',
    damaged: 'Damaged',
    other: 'Other reason',
    already_checked_in: 'Already checked in: nothing changed',
    container_opened: 'Opened earlier: scan its units one by one',
    put_aside_earlier: 'Put aside earlier',
    unreadable: 'Unreadable: scan again',
    delivery_closed: 'This delivery is closed',
    not_a_container: 'Not a pallet or case of this delivery: nothing to open',
  },
};

export { receiptExceptionNames as exceptionNames } from '../shell/receipt-exceptions.js';

export const PUT_ASIDE_REASONS: readonly PutAsideReason[] = [
  'damaged',
  'recalled',
  'foreign',
  'expired',
  'other',
];

export const reasonNames: Catalogue<PutAsideReason> = {
  'zh-CN': { damaged: '破损', recalled: '召回', foreign: '非本单', expired: '过期', other: '其他' },
  en: { damaged: 'Damaged', recalled: 'Recalled', foreign: 'Foreign', expired: 'Expired', other: 'Other' },
};

export const outcomeNames: Catalogue<'complete' | 'partial'> = {
  'zh-CN': { complete: '全部收齐', partial: '部分收货' },
  en: { complete: 'complete', partial: 'partial' },
};
