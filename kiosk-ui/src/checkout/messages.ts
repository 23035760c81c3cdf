import type { RefusedReturnLine } from '../../../terminal/http/wire-types.js';
import type { Catalogue } from '../shell/i18n.js';

type Key =
  | 'title'
  | 'signOut'
  | 'scanHint'
  | 'scanLabel'
  | 'add'
  | 'empty'
  | 'remove'
  | 'void'
  | 'voidConfirm'
  | 'complete'
  | 'completing'
  | 'lines'
  | 'stopped'
  | 'override'
  | 'overridden'
  | 'overrideTitle'
  | 'manager'
  | 'pin'
  | 'reason'
  | 'approve'
  | 'cancel'
  | 'receiptTitle'
  | 'receiptPrinted'
  | 'saleId'
  | 'newSale'
  | 'returns'
  | 'sale'
  | 'returnTitle'
  | 'returnHint'
  | 'returnSubmit'
  | 'returnDone'
  | 'refusedSale'
  | 'refusedReturn'
  | 'returnStopped'
  | 'approvalRefused'
  | 'approvalThrottled'
  | 'network'
  | 'blockedHint'
  | 'quantity'
  | 'opened';

export const checkoutMessages: Catalogue<Key> = {
  'zh-CN': {
    title: '收银台',
    signOut: '退出',
    scanHint: '扫描商品，或输入追溯码后按回车',
    scanLabel: '追溯码',
    add: '添加',
    empty: '购物篮为空',
    remove: '移除',
    void: '作废本单',
    voidConfirm: '确定作废本单？',
    complete: '完成销售',
    completing: '正在提交…',
    lines: '{n}件',
    stopped: '禁止销售：{reason}',
    override: '经理放行',
    overridden: '经理{by}已放行：{reason}',
    quantity: '拆零数量（{unit}）',
    opened: '已拆零，剩余{n}/{N}',
    overrideTitle: '经理放行（仅限无法核验的商品）',
    manager: '经理工号',
    pin: '经理密码',
    reason: '原因',
    approve: '批准',
    cancel: '取消',
    receiptTitle: '销售完成',
    receiptPrinted: '小票已送打印机',
    saleId: '销售单号',
    newSale: '下一单',
    returns: '退货',
    sale: '销售',
    returnTitle: '退货（需经理批准）',
    returnHint: '扫描要退回的商品',
    returnSubmit: '退货',
    returnDone: '退货完成：{n}件已重新激活',
    refusedSale: '部分商品不能销售，未核销任何商品',
    refusedReturn: '部分商品不能退货，未退回任何商品',
    returnStopped: '不能退货：{reason}',
    approvalRefused: '批准无效：需要经理工号和密码',
    approvalThrottled: '密码错误次数过多，请稍后再试',
    network: '无法连接终端：{message}',
    blockedHint: '请移除被禁止销售的商品，或请经理放行',
  },
  en: {
    title: 'Checkout',
    signOut: 'Sign out',
    scanHint: 'Scan items, or type a code and press Enter',
    scanLabel: 'Code',
    add: 'Add',
    empty: 'The basket is empty',
    remove: 'Remove',
    void: 'Void sale',
    voidConfirm: 'Void this sale?',
    complete: 'Complete sale',
    completing: 'Completing…',
    lines: '{n} items',
    stopped: 'Stopped: {reason}',
    override: 'Manager override',
    overridden: 'Overridden by {by}: {reason}',
    overrideTitle: 'Manager override (only for items that cannot be confirmed)',
    manager: 'Manager',
    pin: 'Manager PIN',
    reason: 'Reason',
    approve: 'Approve',
    cancel: 'Cancel',
    receiptTitle: 'Sale complete',
    receiptPrinted: 'Receipt sent to the printer',
    saleId: 'Sale',
    newSale: 'Next sale',
    returns: 'Returns',
    sale: 'Sale',
    returnTitle: 'Return (manager approval)',
    returnHint: 'Scan the items being returned',
    returnSubmit: 'Return',
    returnDone: 'Return recorded: {n} item(s) re-activated',
    refusedSale: 'Some items cannot be sold; nothing was written off',
    refusedReturn: 'Some items cannot be returned; nothing was re-activated',
    returnStopped: 'Cannot return: {reason}',
    approvalRefused: 'Approval refused: needs a manager user and PIN',
    approvalThrottled: 'Too many wrong PINs here; wait a moment and try again',
    network: 'Cannot reach the terminal: {message}',
    blockedHint: 'Remove stopped items, or ask a manager to override',
    quantity: 'Quantity ({unit})',
    opened: 'Opened pack, {n} of {N} left',
  },
};

/** Verdicts and sale refusal reasons in words a cashier understands (shown as "Stopped: …"). */
export const reasonText: Record<'zh-CN' | 'en', Record<string, string>> = {
  'zh-CN': {
    genuine: '正品',
    already_sold: '已售出（疑似复制码）',
    recalled: '已召回',
    withdrawn: '已撤市',
    stolen: '被盗',
    destroyed: '已销毁',
    locked: '已被监管锁定',
    expired: '已过期',
    unknown: '未登记（疑似假冒）',
    malformed: '无法识别，请重扫',
    unverifiable: '无法核验',
    duplicate_line: '重复扫描',
    sold_concurrently: '刚在其他收银台售出',
    not_splittable: '此商品只能整盒销售',
    exceeds_remaining: '超过此盒剩余数量',
    no_serial: '仅商品条码（无追溯码）',
    batch_mismatch: '批号与登记不符（疑似假冒）',
    expiry_mismatch: '有效期与登记不符（疑似假冒）',
    not_received: '本店未收货（疑似窜货）',
    destroyed_here: '本店已销毁，不能销售',
    shipped_out: '已从本店调出或退回供应商，不能销售',
    lost_here: '盘点时已记为丢失，请交经理处理',
  },
  en: {
    genuine: 'Genuine',
    already_sold: 'Already sold (possible copied code)',
    recalled: 'Recalled',
    withdrawn: 'Withdrawn',
    stolen: 'Reported stolen',
    destroyed: 'Destroyed',
    locked: 'Locked by the authority',
    expired: 'Expired',
    unknown: 'Not in the registry (possible counterfeit)',
    malformed: 'Could not read, scan again',
    unverifiable: 'Cannot be confirmed',
    duplicate_line: 'Scanned twice',
    sold_concurrently: 'Just sold at another lane',
    not_splittable: 'Sold as whole packs only',
    exceeds_remaining: 'More than is left in this pack',
    no_serial: 'Product barcode only (no unit code)',
    batch_mismatch: 'Batch differs from the registry (possible counterfeit)',
    expiry_mismatch: 'Use-by date differs from the registry (possible counterfeit)',
    not_received: 'Not received by this store (possible diversion)',
    destroyed_here: 'Destroyed by this store: not for sale',
    shipped_out: 'Shipped out of this store (transfer or return to supplier): not for sale',
    lost_here: 'Written off as lost at a stocktake: ask a manager',
  },
};

/**
 * Why a return line was refused (RefusedReturnLine['reason']), shown as "Cannot return: …": return
 * words, not sale words, since the item is coming back, not going out.
 */
export const returnReasonText: Catalogue<RefusedReturnLine['reason']> = {
  'zh-CN': {
    malformed: '无法识别，请重扫',
    duplicate_line: '本次退货中重复扫描',
    not_sold_here: '本店没有此商品的销售记录',
    other_store: '在其他门店售出，请到原门店退货',
    not_in_sale: '不属于所填销售单',
    window_passed: '已超过退货期限',
    recalled: '已召回，不能退回重新销售',
    withdrawn: '已撤市，不能退回重新销售',
    stolen: '登记为被盗，请交给经理处理',
    destroyed: '登记为已销毁，请交给经理处理',
    locked: '已被监管锁定，不能退回',
    expired: '已过期，不能退回重新销售',
    product_only: '仅商品条码，不能按码退货',
  },
  en: {
    malformed: 'Could not read, scan again',
    duplicate_line: 'Scanned twice in this return',
    not_sold_here: 'No sale of this item at this store',
    other_store: 'Sold at another store; return it there',
    not_in_sale: 'Not part of the given sale',
    window_passed: 'Return window has passed',
    recalled: 'Recalled; cannot go back on sale',
    withdrawn: 'Withdrawn; cannot go back on sale',
    stolen: 'Reported stolen; hand it to the manager',
    destroyed: 'Reported destroyed; hand it to the manager',
    locked: 'Locked by the authority; cannot be returned',
    expired: 'Expired; cannot go back on sale',
    product_only: 'Product barcode only: cannot be returned by code',
  },
};
