import type {
  AlertKind,
  ManagerOverview,
  PrintJobKind,
  PrintJobState,
  ReasonCode,
  RecordType,
  SoldContext,
  VerdictKind,
  VerdictReason,
} from '../../../terminal/http/wire-types.js';
import type { Catalogue } from '../shell/i18n.js';

type Key =
  | 'title'
  | 'signOut'
  | 'tiles'
  | 'since'
  | 'alerts'
  | 'noAlerts'
  | 'charts'
  | 'checksPerHour'
  | 'salesPerHour'
  | 'sales'
  | 'events'
  | 'receipts'
  | 'noReceipts'
  | 'preview'
  | 'reprint'
  | 'reprinted'
  | 'registry'
  | 'noRegistry'
  | 'version'
  | 'asOf'
  | 'expires'
  | 'age'
  | 'units'
  | 'export'
  | 'download'
  | 'upstream'
  | 'backlog'
  | 'lastAck'
  | 'oldest'
  | 'live'
  | 'offline'
  | 'ok'
  | 'warn'
  | 'fail'
  | 'hours'
  | 'time'
  | 'unreadable'
  | 'recordSeq'
  | 'exportDay';

export const managerMessages: Catalogue<Key> = {
  'zh-CN': {
    title: '店长管理',
    signOut: '退出',
    tiles: '终端状态',
    since: '自{time}',
    alerts: '警报',
    noAlerts: '暂无警报',
    charts: '统计',
    checksPerHour: '每小时查验（按结果）',
    salesPerHour: '每小时销售',
    sales: '销售',
    events: '事件记录',
    receipts: '小票',
    noReceipts: '暂无小票',
    preview: '预览',
    reprint: '重打上一张小票',
    reprinted: '已加入打印队列',
    registry: '注册库',
    noRegistry: '尚未导入注册库',
    version: '版本',
    asOf: '生成时间',
    expires: '有效期至',
    age: '已过{hours}小时（上限{max}小时）',
    units: '单品数',
    export: '导出台账',
    download: '下载CSV',
    upstream: '上级连接',
    backlog: '待上传{n}条',
    lastAck: '最近确认',
    oldest: '最早未上传',
    live: '实时',
    offline: '连接中断，正在重连…',
    ok: '正常',
    warn: '注意',
    fail: '故障',
    hours: '小时',
    time: '时间',
    unreadable: '（无法识别）',
    recordSeq: '第{seq}条记录',
    exportDay: '导出日期',
  },
  en: {
    title: 'Store manager',
    signOut: 'Sign out',
    tiles: 'Terminal health',
    since: 'since {time}',
    alerts: 'Alerts',
    noAlerts: 'No alerts',
    charts: 'Activity',
    checksPerHour: 'Checks per hour by verdict',
    salesPerHour: 'Sales per hour',
    sales: 'Sales',
    events: 'Event log',
    receipts: 'Receipts',
    noReceipts: 'No receipts yet',
    preview: 'Preview',
    reprint: 'Reprint last receipt',
    reprinted: 'Sent to the printer queue',
    registry: 'Registry',
    noRegistry: 'No registry imported',
    version: 'Version',
    asOf: 'Built',
    expires: 'Expires',
    age: '{hours} h old (max {max} h)',
    units: 'Units',
    export: 'Export ledger',
    download: 'Download CSV',
    upstream: 'Upstream',
    backlog: '{n} records waiting',
    lastAck: 'Last acknowledged',
    oldest: 'Oldest unsent',
    live: 'Live',
    offline: 'Connection lost, reconnecting…',
    ok: 'OK',
    warn: 'Warning',
    fail: 'Fault',
    hours: 'h',
    time: 'Time',
    unreadable: '(unreadable)',
    recordSeq: 'Record #{seq}',
    exportDay: 'Day to export',
  },
};

/** Tile titles for known component ids; others show the id. */
export const componentNames: Record<'zh-CN' | 'en', Record<string, string>> = {
  'zh-CN': {
    registry: '注册库',
    upstream: '上级连接',
    process: '进程',
    storage: '存储',
    clock: '时钟',
    errors: '最近错误',
    printer: '打印机',
    scanner: '扫码枪',
    'registry-update': '注册库更新',
  },
  en: {
    registry: 'Registry',
    upstream: 'Upstream link',
    process: 'Process',
    storage: 'Storage',
    clock: 'Clock',
    errors: 'Recent errors',
    printer: 'Printer',
    scanner: 'Scanner',
    'registry-update': 'Registry update',
  },
};

/**
 * Health reasons per code (terminal/health/reason-codes.ts), with `{param}` slots. Parameters are
 * formatted before they are filled in (manager/reasons.ts): `…At` as a date and time in the page's
 * language, `…Bytes` in MB, `hours` with one decimal, `component` by its tile title.
 */
export const reasonMessages: Catalogue<ReasonCode> = {
  'zh-CN': {
    'scanner.connected': '已连接',
    'scanner.connecting': '正在连接',
    'scanner.stopped': '已停止',
    'scanner.disconnected': '扫码枪未连接',
    'scanner.disconnected_detail': '扫码枪已断开：{detail}',
    'scanner.unreadable': '扫码枪数据无法读取：{detail}',
    'printer.unchecked': '尚未检查打印机状态',
    'printer.ready': '就绪',
    'printer.printing': '正在打印（{waiting}张等待）',
    'printer.paper_out': '缺纸',
    'printer.paper_low': '纸将用完',
    'printer.cover_open': '打印机盖未关',
    'printer.offline': '打印机离线',
    'printer.offline_detail': '打印机离线：{detail}',
    'printer.error': '打印机故障',
    'printer.error_detail': '打印机故障：{detail}',
    'registry.missing': '尚未导入注册库，无法确认码',
    'registry.expired': '注册库v{version}已于{expiresAt}过期',
    'registry.stale': '注册库v{version}已过{hours}小时（过旧）',
    'registry.aging': '注册库v{version}已过{hours}小时',
    'registry.current': '注册库v{version}，已过{hours}小时',
    'registry_update.progress': '正在将注册库{scope}更新到版本{version}：{percent}%',
    'registry_update.stalled': '注册库{scope}更新停滞：{detail}',
    'registry_update.current': '注册库{scope}已是最新',
    'upstream.offline': '未连接上级，待上传{backlog}条',
    'upstream.refused': '上级拒收第{seq}条记录：{code}',
    'upstream.impossible_ack': '已忽略不可能的上级确认：{detail}',
    'upstream.sending': '正在向上级上传{backlog}条记录',
    'upstream.delivered': '已连接上级，记录已全部上传',
    'process.memory_high': '内存占用过高：{rssBytes}',
    'process.running': '运行中，内存{rssBytes}',
    'storage.disk_full': '磁盘已满，写入被拒绝（{file}），剩余{freeBytes}；请清理磁盘空间',
    'storage.unknown': '无法读取磁盘剩余空间',
    'storage.full': '磁盘即将写满：剩余{freeBytes}（数据库{dbBytes}）',
    'storage.low': '磁盘空间不足：剩余{freeBytes}（数据库{dbBytes}）',
    'storage.ok': '数据库{dbBytes}，剩余{freeBytes}',
    'clock.unknown': '尚未与上级校对时钟',
    'clock.ahead': '时钟比上级快{seconds}秒',
    'clock.behind': '时钟比上级慢{seconds}秒',
    'clock.in_step': '时钟与上级一致（相差{seconds}秒）',
    'errors.recent': '{component}：{message}',
    'errors.none': '最近无错误',
  },
  en: {
    'scanner.connected': 'Connected',
    'scanner.connecting': 'Connecting',
    'scanner.stopped': 'Stopped',
    'scanner.disconnected': 'Scanner disconnected',
    'scanner.disconnected_detail': 'Scanner disconnected: {detail}',
    'scanner.unreadable': 'Unreadable data from scanner: {detail}',
    'printer.unchecked': 'Printer not checked yet',
    'printer.ready': 'Ready',
    'printer.printing': 'Printing ({waiting} waiting)',
    'printer.paper_out': 'Paper out',
    'printer.paper_low': 'Paper running low',
    'printer.cover_open': 'Cover open',
    'printer.offline': 'Printer offline',
    'printer.offline_detail': 'Printer offline: {detail}',
    'printer.error': 'Printer error',
    'printer.error_detail': 'Printer error: {detail}',
    'registry.missing': 'No registry imported: codes cannot be confirmed',
    'registry.expired': 'Registry v{version} expired at {expiresAt}',
    'registry.stale': 'Registry v{version} is {hours} h old (too old)',
    'registry.aging': 'Registry v{version} is {hours} h old',
    'registry.current': 'Registry v{version}, {hours} h old',
    'registry_update.progress': 'Updating registry {scope} to version {version}: {percent}%',
    'registry_update.stalled': 'Registry update {scope} stalled: {detail}',
    'registry_update.current': 'Registry {scope} up to date',
    'upstream.offline': 'No link to upstream; {backlog} records waiting',
    'upstream.refused': 'Upstream refused record {seq}: {code}',
    'upstream.impossible_ack': 'Upstream acknowledgement ignored: {detail}',
    'upstream.sending': 'Sending {backlog} records to upstream',
    'upstream.delivered': 'Connected to upstream; all records delivered',
    'process.memory_high': 'High memory use: {rssBytes}',
    'process.running': 'Running, {rssBytes}',
    'storage.disk_full': 'Disk full: writes to {file} are refused ({freeBytes} free); free some space',
    'storage.unknown': 'Cannot read free disk space',
    'storage.full': 'Disk almost full: {freeBytes} free (database {dbBytes})',
    'storage.low': 'Disk space low: {freeBytes} free (database {dbBytes})',
    'storage.ok': 'Database {dbBytes}, {freeBytes} free',
    'clock.unknown': 'Clock not yet compared with upstream',
    'clock.ahead': 'Clock ahead of upstream by {seconds} s',
    'clock.behind': 'Clock behind upstream by {seconds} s',
    'clock.in_step': 'Clock in step with upstream ({seconds} s)',
    'errors.recent': '{component}: {message}',
    'errors.none': 'No recent errors',
  },
};

/*
 * Fixed values the server sends as ids, in words (test/unit/manager/enum-messages.test.ts checks each
 * table has exactly the values of the server's union). `enumText` (manager/reasons.ts) shows a value
 * this page does not know (a newer terminal) as it came.
 */

/** Alert kinds (terminal/ledger/types.ts ALERT_KINDS). */
export const alertKindMessages: Catalogue<AlertKind> = {
  'zh-CN': {
    clone: '疑似复制码（重复销售）',
    unknown_code: '未登记的码',
    code_mismatch: '码与登记信息不符（批号/有效期）',
    suspicious_report: '可疑商品举报',
    sync_gap: '上传记录缺失',
    ledger_recovered: '账本丢失后已从上级恢复',
    diversion: '未经本店收货的商品（疑似窜货）',
  },
  en: {
    clone: 'Possible copied code (sold twice)',
    unknown_code: 'Unknown code',
    code_mismatch: 'Code disagrees with its registration (batch/expiry)',
    suspicious_report: 'Suspicious report',
    sync_gap: 'Gap in uploaded records',
    ledger_recovered: 'Ledger rebuilt from upstream after it was lost',
    diversion: 'Unit never received by this store (possible diversion)',
  },
};

/** Labels of the fields of an alert's payload (terminal/ledger/payloads.ts AlertPayload, kiosk reports). */
export type AlertField =
  | 'kind'
  | 'codeKey'
  | 'key'
  | 'verdict'
  | 'reason'
  | 'note'
  | 'previous'
  | 'attempt'
  | 'where'
  | 'storeId'
  | 'terminalId'
  | 'at'
  | 'saleId'
  | 'externalRef'
  | 'cashier'
  | 'checkedAt'
  | 'checkId'
  | 'source'
  | 'reportedAt'
  | 'mismatch'
  | 'batch'
  | 'expiry'
  | 'scanned'
  | 'registered';

export const alertFieldMessages: Catalogue<AlertField> = {
  'zh-CN': {
    kind: '类型',
    codeKey: '码',
    key: '码',
    verdict: '查验结果',
    reason: '原因',
    note: '备注',
    previous: '此前售出',
    attempt: '本次销售尝试',
    where: '售出于',
    storeId: '门店',
    terminalId: '终端',
    at: '时间',
    saleId: '销售单',
    externalRef: '外部单号',
    cashier: '收银员',
    checkedAt: '查验时间',
    checkId: '查验编号',
    source: '来源',
    reportedAt: '举报时间',
    mismatch: '与登记不符',
    batch: '批号',
    expiry: '有效期',
    scanned: '包装上',
    registered: '码库登记',
  },
  en: {
    kind: 'Kind',
    codeKey: 'Code',
    key: 'Code',
    verdict: 'Verdict',
    reason: 'Reason',
    note: 'Note',
    previous: 'Sold before',
    attempt: 'This sale attempt',
    where: 'Sold',
    storeId: 'Store',
    terminalId: 'Terminal',
    at: 'Time',
    saleId: 'Sale',
    externalRef: 'External ref',
    cashier: 'Cashier',
    checkedAt: 'Checked at',
    checkId: 'Check no.',
    source: 'Source',
    reportedAt: 'Reported at',
    mismatch: 'Disagrees with the registry',
    batch: 'Batch',
    expiry: 'Expiry',
    scanned: 'On the pack',
    registered: 'Registered',
  },
};

/** Where a clone's earlier sale happened (SoldContext.where). */
export const soldWhereMessages: Catalogue<SoldContext['where']> = {
  'zh-CN': { here: '本终端', upstream: '其他门店或终端（上级通报）' },
  en: { here: 'At this terminal', upstream: 'Elsewhere (reported by upstream)' },
};

/** Verdicts (terminal/verify/types.ts VERDICT_KINDS): chart lines, event log, alert details. */
export const verdictMessages: Catalogue<VerdictKind> = {
  'zh-CN': {
    genuine: '正品',
    already_sold: '已售出',
    recalled: '已召回',
    withdrawn: '已撤市',
    stolen: '被盗',
    destroyed: '已销毁',
    locked: '已锁定',
    expired: '已过期',
    unknown: '未登记',
    malformed: '无法识别',
    unverifiable: '无法核验',
  },
  en: {
    genuine: 'Genuine',
    already_sold: 'Already sold',
    recalled: 'Recalled',
    withdrawn: 'Withdrawn',
    stolen: 'Stolen',
    destroyed: 'Destroyed',
    locked: 'Locked',
    expired: 'Expired',
    unknown: 'Unknown',
    malformed: 'Unreadable',
    unverifiable: 'Cannot be confirmed',
  },
};

/** Ledger record types (terminal/ledger/types.ts RECORD_TYPES), in the event log. */
export const recordTypeMessages: Catalogue<RecordType> = {
  'zh-CN': {
    sale: '销售',
    write_off: '核销',
    return: '退货',
    alert: '警报',
    receipt_printed: '小票已打印',
    receipt: '进货核注',
    stocktake: '盘点',
    stock_out: '出库（退供/调拨/销毁）',
    stock_adjustment: '盘点差异调整',
  },
  en: {
    sale: 'Sale',
    write_off: 'Write-off',
    return: 'Return',
    alert: 'Alert',
    receipt_printed: 'Receipt printed',
    receipt: 'Goods received',
    stocktake: 'Stocktake',
    stock_out: 'Shipped out (return, transfer, destruction)',
    stock_adjustment: 'Stock adjustment',
  },
};

/** Print job kinds the terminal enqueues (terminal/printing/queue-store.ts PRINT_JOB_KINDS). */
export const jobKindMessages: Catalogue<PrintJobKind> = {
  'zh-CN': { receipt: '小票', reprint: '重打小票' },
  en: { receipt: 'Receipt', reprint: 'Reprint' },
};

/** Print job states (terminal/printing/queue-store.ts PRINT_JOB_STATES). */
export const jobStateMessages: Catalogue<PrintJobState> = {
  'zh-CN': {
    pending: '排队中',
    sending: '发送中',
    sent: '打印中',
    done: '已打印',
    failed: '打印失败',
  },
  en: {
    pending: 'Queued',
    sending: 'Sending',
    sent: 'Printing',
    done: 'Printed',
    failed: 'Failed',
  },
};

/** The upstream link in the details panel. */
export const linkMessages: Catalogue<NonNullable<ManagerOverview['upstream']>['link']> = {
  'zh-CN': { up: '已连接', down: '未连接' },
  en: { up: 'Connected', down: 'Disconnected' },
};

/**
 * Why a check got its verdict (terminal/verify/reasons.ts VERDICT_REASONS: the policy's reasons and
 * the code reader's error codes), in the event log.
 */
export const verdictReasonMessages: Catalogue<VerdictReason> = {
  'zh-CN': {
    written_off_here: '本终端已核销',
    product_withdrawn: '产品已撤市',
    status_recalled: '单品已召回',
    status_withdrawn: '单品已撤市',
    status_stolen: '登记为被盗',
    status_destroyed: '登记为已销毁',
    destroyed_here: '本店已销毁',
    status_locked: '被监管部门锁定',
    batch_recalled: '批次已召回',
    sold_upstream: '上级记录为已售出',
    past_expiry: '已过有效期',
    batch_mismatch: '批号与登记不符（疑似假冒）',
    expiry_mismatch: '有效期与登记不符（疑似假冒）',
    no_registry: '尚未导入注册库',
    registry_expired: '注册库已过期',
    registry_stale: '注册库过旧',
    no_serial: '只有商品条码，没有单品序列号',
    product_not_in_registry: '注册库中没有该产品',
    product_not_covered: '该产品未纳入监管',
    not_in_registry: '受监管产品，但注册库中没有此码',
    received_here: '已在本店收货',
    active: '状态正常',
    empty: '扫码内容为空',
    too_long: '扫码内容过长',
    bad_check_digit: '校验位错误',
    unknown_ai: '未知的应用标识符（AI）',
    bad_length: '长度不符',
    bad_date: '日期无效',
    bad_character: '含有不允许的字符（可能是键盘布局问题）',
    bad_syntax: '格式错误',
    unrecognised: '不是可识别的码',
  },
  en: {
    written_off_here: 'Written off at this terminal',
    product_withdrawn: 'Product withdrawn',
    status_recalled: 'Unit recalled',
    status_withdrawn: 'Unit withdrawn',
    status_stolen: 'Registered as stolen',
    status_destroyed: 'Registered as destroyed',
    destroyed_here: 'Destroyed by this store',
    status_locked: 'Locked by the authority',
    batch_recalled: 'Batch recalled',
    sold_upstream: 'Sold according to upstream',
    past_expiry: 'Past its expiry date',
    batch_mismatch: 'Batch differs from the registry (possible counterfeit)',
    expiry_mismatch: 'Use-by date differs from the registry (possible counterfeit)',
    no_registry: 'No registry imported',
    registry_expired: 'Registry expired',
    registry_stale: 'Registry too old',
    no_serial: 'Product barcode only, no unit serial',
    product_not_in_registry: 'Product not in the registry',
    product_not_covered: 'Product not covered',
    not_in_registry: 'Covered product, but this code is not registered',
    received_here: 'Received at this store',
    active: 'In good standing',
    empty: 'Empty scan',
    too_long: 'Scan too long',
    bad_check_digit: 'Wrong check digit',
    unknown_ai: 'Unknown application identifier (AI)',
    bad_length: 'Wrong length',
    bad_date: 'Invalid date',
    bad_character: 'Character not allowed (keyboard layout?)',
    bad_syntax: 'Malformed code',
    unrecognised: 'Not a recognised code',
  },
};

/** Where a check came from (the query log's `source`), in the event log. */
export const checkSourceMessages: Catalogue<'kiosk' | 'checkout' | 'return' | 'wedge' | 'manual' | 'api'> = {
  'zh-CN': {
    kiosk: '自助终端扫码枪',
    checkout: '收银台',
    return: '退货',
    wedge: '自助终端（键盘扫码）',
    manual: '自助终端（手工输入）',
    api: '接口',
  },
  en: {
    kiosk: 'Kiosk scanner',
    checkout: 'Checkout',
    return: 'Return',
    wedge: 'Kiosk (keyboard scanner)',
    manual: 'Kiosk (typed)',
    api: 'API',
  },
};
