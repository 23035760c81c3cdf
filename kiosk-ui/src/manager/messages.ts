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
  | 'hours';

export const managerMessages: Catalogue<Key> = {
  'zh-CN': {
    title: '店长管理',
    signOut: '退出',
    tiles: '终端状态',
    since: '自 {time}',
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
    age: '已过 {hours} 小时（上限 {max} 小时）',
    units: '单品数',
    export: '导出台账',
    download: '下载 CSV',
    upstream: '上级连接',
    backlog: '待上传 {n} 条',
    lastAck: '最近确认',
    oldest: '最早未上传',
    live: '实时',
    offline: '连接中断，正在重连…',
    ok: '正常',
    warn: '注意',
    fail: '故障',
    hours: '小时',
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
  },
};
