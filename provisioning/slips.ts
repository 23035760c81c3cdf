import type { ReceiptDocument } from '../terminal/receipts/index.js';

/** The test slip: a Chinese line (GB18030 or raster), a QR code and the terminal id. */
export function testSlip(input: { terminalId: string; storeId: string; at: Date }): ReceiptDocument {
  return {
    blocks: [
      { type: 'text', text: 'veriterm test print', bold: true, align: 'center' },
      { type: 'text', text: '正品验证终端 打印测试', align: 'center' },
      { type: 'rule' },
      { type: 'columns', columns: [{ text: 'Terminal' }, { text: input.terminalId, align: 'right' }] },
      { type: 'columns', columns: [{ text: 'Store' }, { text: input.storeId, align: 'right' }] },
      { type: 'text', text: input.at.toISOString() },
      { type: 'qr', data: `veriterm:${input.storeId}/${input.terminalId}`, align: 'center' },
      { type: 'feed', lines: 2 },
      { type: 'cut' },
    ],
  };
}

export interface SummaryInput {
  storeId: string;
  terminalId: string;
  role: string;
  brokerUrl: string;
  /** Where the kiosk page is reached in the store (http://LAN-address:port/). */
  kioskUrl: string;
  rootFingerprint: string;
  scanner: string;
  printer: string;
  checks: { name: string; level: string; message: string }[];
  at: Date;
}

/** The summary slip the technician leaves with (and the same lines on screen). */
export function summaryLines(s: SummaryInput): string[] {
  return [
    `Terminal   ${s.terminalId} (${s.role})`,
    `Store      ${s.storeId}`,
    `Kiosk URL  ${s.kioskUrl}`,
    `Broker     ${s.brokerUrl}`,
    // Ten groups do not fit 32-48 columns: two lines of five, as upstream prints them.
    'Registry root fingerprint',
    `  ${s.rootFingerprint.split(' ').slice(0, 5).join(' ')}`,
    `  ${s.rootFingerprint.split(' ').slice(5).join(' ')}`,
    `Scanner    ${s.scanner}`,
    `Printer    ${s.printer}`,
    `Provisioned ${s.at.toISOString()}`,
    ...s.checks.map((c) => `${c.level.toUpperCase().padEnd(4)} ${c.name}: ${c.message}`),
  ];
}

export function summarySlip(s: SummaryInput): ReceiptDocument {
  return {
    blocks: [
      { type: 'text', text: 'veriterm 终端开通单', bold: true, align: 'center' },
      { type: 'text', text: 'Provisioning summary', align: 'center' },
      { type: 'rule', style: 'double' },
      ...summaryLines(s).map((text) => ({ type: 'text' as const, text })),
      { type: 'rule' },
      { type: 'qr', data: `veriterm:${s.storeId}/${s.terminalId}`, align: 'center' },
      { type: 'feed', lines: 2 },
      { type: 'cut' },
    ],
  };
}
