import type { StockOutKind, StockOutReason, StocktakeBadReason } from '../../../terminal/http/wire-types.js';
import type { Catalogue } from '../shell/i18n.js';

type Key =
  | 'title'
  | 'signOut'
  | 'tabStocktake'
  | 'tabShipOut'
  | 'stocktakes'
  | 'noStocktakes'
  | 'newWhole'
  | 'newChosen'
  | 'chooseProducts'
  | 'onHandN'
  | 'startChosen'
  | 'scopeAll'
  | 'scopeProducts'
  | 'back'
  | 'scanned'
  | 'expected'
  | 'missing'
  | 'extra'
  | 'bad'
  | 'scanPrompt'
  | 'close'
  | 'closeConfirm'
  | 'cancel'
  | 'closed'
  | 'accepted'
  | 'record'
  | 'csv'
  | 'accept'
  | 'approve'
  | 'scanClosed'
  | 'stateIs'
  | 'acceptTitle'
  | 'acceptReason'
  | 'acceptDone'
  | 'skipped'
  | 'approvalRefused'
  | 'approvalThrottled'
  | 'differences'
  | 'noDifferences'
  | 'more'
  | 'state_open'
  | 'state_closed'
  | 'state_accepted'
  | 'state_cancelled'
  | 'found'
  | 'foundUnits'
  | 'extraUnit'
  | 'alreadyScanned'
  | 'unreadable'
  | 'shipOutLocked'
  | 'shipOutSignIn'
  | 'kind'
  | 'reason'
  | 'supplierId'
  | 'toStoreId'
  | 'note'
  | 'noteHint'
  | 'openShipment'
  | 'inShipment'
  | 'shipPrompt'
  | 'removeMode'
  | 'removeHint'
  | 'remove'
  | 'added'
  | 'removed'
  | 'refused'
  | 'shipClose'
  | 'shipCloseConfirm'
  | 'shipCancel'
  | 'shipClosed'
  | 'shipCancelled'
  | 'newShipment'
  | 'units'
  | 'noUnits'
  | 'typeCode'
  | 'enter'
  | 'demoLabels'
  | 'failed'
  | 'offline';

export const stockMessages: Catalogue<Key> = {
  'zh-CN': {
    title: '盘点与出库',
    signOut: '退出',
    tabStocktake: '盘点',
    tabShipOut: '出库',
    stocktakes: '盘点单',
    noStocktakes: '还没有盘点单',
    newWhole: '全店盘点',
    newChosen: '按商品盘点',
    chooseProducts: '选择要盘点的商品',
    onHandN: '在库{n}件',
    startChosen: '开始盘点（{n}种商品）',
    scopeAll: '全店',
    scopeProducts: '{n}种商品',
    back: '返回',
    scanned: '已扫',
    expected: '应有',
    missing: '缺少',
    extra: '多出',
    bad: '问题',
    scanPrompt: '请扫描货架上的单品、箱或托盘',
    close: '结束盘点',
    closeConfirm: '确认结束（生成签名盘点记录）',
    cancel: '取消',
    closed: '盘点已结束',
    accepted: '差异已确认',
    record: '记录：{id}',
    csv: '下载差异CSV',
    accept: '确认差异（经理）',
    approve: '确认差异',
    scanClosed: '已结束：这次扫描没有计入',
    stateIs: '状态：{state}',
    acceptTitle: '经理确认差异',
    acceptReason: '原因',
    acceptDone: '已调整：出{out}件，入{in}件',
    skipped: '未调整{n}件（状态已变或已售出）',
    approvalRefused: '批准无效：需要经理工号和密码',
    approvalThrottled: '密码错误次数过多，请稍后再试',
    differences: '差异（{n}）',
    noDifferences: '暂无差异',
    more: '另有{n}条，见CSV',
    state_open: '进行中',
    state_closed: '已结束，待确认',
    state_accepted: '已确认',
    state_cancelled: '已取消',
    found: '单品在库：已计数',
    foundUnits: '{target}已计数（标签上{n}件）',
    extraUnit: '多出：不在本店库存',
    alreadyScanned: '已扫过：无变化',
    unreadable: '无法识别：请重新扫描',
    shipOutLocked: '出库需要经理权限',
    shipOutSignIn: '请退出后以经理身份登录',
    kind: '出库类型',
    reason: '原因',
    supplierId: '供应商编号',
    toStoreId: '调入门店编号',
    note: '说明',
    noteHint: '原因为“其他”时必填',
    openShipment: '开始出库',
    inShipment: '本次出库',
    shipPrompt: '请扫描要出库的单品、箱或托盘',
    removeMode: '扫错移除',
    removeHint: '扫描要从本次出库中移除的物品',
    remove: '移除',
    added: '{target}已加入（{n}件）',
    removed: '{target}已移除（{n}件）',
    refused: '不能出库：不在库存中',
    shipClose: '完成出库',
    shipCloseConfirm: '确认出库{n}件（签名记录，商品离开库存）',
    shipCancel: '作废',
    shipClosed: '出库已完成',
    shipCancelled: '出库已作废',
    newShipment: '新的出库',
    units: '件',
    noUnits: '还没有扫描物品',
    typeCode: '手动输入编码',
    enter: '确定',
    demoLabels: '演示标签（点按即扫描）',
    failed: '未完成：{message}',
    offline: '无法连接终端，请重试',
  },
  en: {
    title: 'Stock',
    signOut: 'Sign out',
    tabStocktake: 'Stocktake',
    tabShipOut: 'Ship out',
    stocktakes: 'Stocktakes',
    noStocktakes: 'No stocktake yet',
    newWhole: 'Count whole store',
    newChosen: 'Count chosen products',
    chooseProducts: 'Choose the products to count',
    onHandN: '{n} on hand',
    startChosen: 'Start counting ({n} chosen)',
    scopeAll: 'Whole store',
    scopeProducts: 'Products: {n}',
    back: 'Back',
    scanned: 'Scanned',
    expected: 'Expected',
    missing: 'Missing',
    extra: 'Extra',
    bad: 'Bad',
    scanPrompt: 'Scan units, cases or pallets on the shelf',
    close: 'Close count',
    closeConfirm: 'Close it (signed stocktake record)',
    cancel: 'Cancel',
    closed: 'Stocktake closed',
    accepted: 'Differences accepted',
    record: 'Record {id}',
    csv: 'Download differences (CSV)',
    accept: 'Accept differences (manager)',
    approve: 'Accept',
    scanClosed: 'Closed: that scan was not counted',
    stateIs: 'State: {state}',
    acceptTitle: 'Manager accepts the differences',
    acceptReason: 'Reason',
    acceptDone: 'Adjusted: {out} out, {in} in',
    skipped: '{n} not adjusted (changed since, or sold)',
    approvalRefused: 'Approval refused: needs a manager user and PIN',
    approvalThrottled: 'Too many wrong PINs here; wait a moment and try again',
    differences: 'Differences ({n})',
    noDifferences: 'No differences yet',
    more: '{n} more: see the CSV',
    state_open: 'counting',
    state_closed: 'closed, to accept',
    state_accepted: 'accepted',
    state_cancelled: 'cancelled',
    found: 'Unit on hand: counted',
    foundUnits: '{target} counted ({n} units on its label)',
    extraUnit: 'Extra: not in stock here',
    alreadyScanned: 'Scanned already: nothing changed',
    unreadable: 'Unreadable: scan again',
    shipOutLocked: 'Shipping out needs a manager',
    shipOutSignIn: 'Sign out and sign in as a manager',
    kind: 'Kind',
    reason: 'Reason',
    supplierId: 'Supplier id',
    toStoreId: 'Receiving store id',
    note: 'Note',
    noteHint: 'Needed when the reason is “other”',
    openShipment: 'Start shipping out',
    inShipment: 'In this shipment',
    shipPrompt: 'Scan the units, cases or pallets to ship out',
    removeMode: 'Remove a scan',
    removeHint: 'Scan what to take out of this shipment',
    remove: 'Remove',
    added: '{target} added ({n})',
    removed: '{target} removed ({n})',
    refused: 'Cannot ship: not in stock',
    shipClose: 'Close shipment',
    shipCloseConfirm: 'Ship out {n} units (signed record; they leave stock)',
    shipCancel: 'Cancel shipment',
    shipClosed: 'Shipment closed',
    shipCancelled: 'Shipment cancelled',
    newShipment: 'New shipment',
    units: 'units',
    noUnits: 'Nothing scanned yet',
    typeCode: 'Type a code',
    enter: 'Enter',
    demoLabels: 'Demo labels (tap to scan)',
    failed: 'Not done: {message}',
    offline: 'Cannot reach the terminal; try again',
  },
};

export const targetNames: Catalogue<'pallet' | 'case' | 'unit' | 'unknown'> = {
  'zh-CN': { pallet: '托盘', case: '箱', unit: '单品', unknown: '编码' },
  en: { pallet: 'Pallet', case: 'Case', unit: 'Unit', unknown: 'Code' },
};

/** A difference line's reason. */
export const differenceNames: Catalogue<
  'missing' | 'notReceived' | 'sold' | 'leftStock' | StocktakeBadReason
> = {
  'zh-CN': {
    missing: '缺少：账上在库，货架上没有',
    notReceived: '多出：本店未收货',
    sold: '多出：已售出（请走退货）',
    leftStock: '多出：已出库或已核销',
    recalled: '问题：已召回',
    withdrawn: '问题：已撤市',
    blocked: '问题：被盗、已销毁或已锁定',
    expired: '问题：已过期',
    not_in_registry: '问题：未登记（疑似假冒）',
  },
  en: {
    missing: 'Missing: on hand, not on the shelf',
    notReceived: 'Extra: never received here',
    sold: 'Extra: sold here (take it back by a return)',
    leftStock: 'Extra: shipped out or written off',
    recalled: 'Bad: recalled',
    withdrawn: 'Bad: withdrawn',
    blocked: 'Bad: stolen, destroyed or locked',
    expired: 'Bad: expired',
    not_in_registry: 'Bad: not registered (possible fake)',
  },
};

export const STOCK_OUT_KINDS: readonly StockOutKind[] = ['return_to_supplier', 'transfer', 'destruction'];
export const kindNames: Catalogue<StockOutKind> = {
  'zh-CN': { return_to_supplier: '退供应商', transfer: '调拨到门店', destruction: '销毁' },
  en: { return_to_supplier: 'Return to supplier', transfer: 'Transfer to store', destruction: 'Destruction' },
};

export const STOCK_OUT_REASONS: readonly StockOutReason[] = [
  'expired',
  'damaged',
  'recalled',
  'overstock',
  'wrong_delivery',
  'rebalance',
  'other',
];
export const outReasonNames: Catalogue<StockOutReason> = {
  'zh-CN': {
    expired: '过期',
    damaged: '破损',
    recalled: '召回',
    overstock: '积压',
    wrong_delivery: '错发',
    rebalance: '调剂',
    other: '其他',
  },
  en: {
    expired: 'Expired',
    damaged: 'Damaged',
    recalled: 'Recalled',
    overstock: 'Overstock',
    wrong_delivery: 'Wrong delivery',
    rebalance: 'Rebalance',
    other: 'Other',
  },
};

/** Problem codes a stock scan names (terminal/stock/stock-scan.ts and its services). */
export const scanProblemNames: Catalogue<string> = {
  'zh-CN': {
    extra: '多出：不在本店库存',
    recalled: '已召回：请下架',
    withdrawn: '已撤市：请下架',
    blocked: '被盗、已销毁或已锁定：请下架',
    expired: '已过期：请下架',
    not_in_registry: '未登记：疑似假冒',
    unreadable: '无法识别：请重新扫描',
    session_closed: '已结束',
    not_on_hand: '不在库存中',
    destroyed: '已销毁',
    units_not_on_hand: '箱内有不在库存的物品，已略过',
  },
  en: {
    extra: 'Extra: not in stock here',
    recalled: 'Recalled: take it off the shelf',
    withdrawn: 'Withdrawn: take it off the shelf',
    blocked: 'Stolen, destroyed or locked: take it off the shelf',
    expired: 'Expired: take it off the shelf',
    not_in_registry: 'Not registered: possible fake',
    unreadable: 'Unreadable: scan again',
    session_closed: 'Closed already',
    not_on_hand: 'Not in stock',
    destroyed: 'Destroyed',
    units_not_on_hand: 'Units not in stock were left out',
  },
};

/** A unit's stock state (terminal/receiving/stock.ts UnitStockState), said when a scan meets one not on hand. */
export const stateNames: Catalogue<string> = {
  'zh-CN': {
    not_received: '本店未收货',
    expected: '在送货单上，未收货',
    put_aside: '收货时已搁置',
    on_hand: '在库',
    sold: '已售出',
    returned_to_supplier: '已退供应商',
    transferred: '已调出',
    destroyed: '已销毁',
    lost: '盘点时已核销（丢失）',
  },
  en: {
    not_received: 'never received here',
    expected: 'on a delivery note, not received yet',
    put_aside: 'put aside at receiving',
    on_hand: 'on hand',
    sold: 'sold',
    returned_to_supplier: 'returned to the supplier',
    transferred: 'transferred out',
    destroyed: 'destroyed',
    lost: 'written off as lost at a stocktake',
  },
};
