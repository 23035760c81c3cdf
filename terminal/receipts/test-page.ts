import type { ReceiptDocument } from './document.js';
import type { PrinterProfile } from './profiles.js';

/**
 * The technician's test print: shows at a glance whether the profile is right (the ruler must
 * end exactly at the right edge, the Chinese line must not be garbled, the QR must scan).
 */
export function testPageDocument(info: {
  terminalId: string;
  profile: PrinterProfile;
  printedAt?: Date;
}): ReceiptDocument {
  const { profile } = info;
  const ruler = Array.from({ length: profile.columns }, (_, i) => String((i + 1) % 10)).join('');
  return {
    blocks: [
      { type: 'text', text: 'veriterm test print', bold: true, width: 2, height: 2, align: 'center' },
      { type: 'text', text: `Terminal ${info.terminalId}`, align: 'center' },
      { type: 'text', text: (info.printedAt ?? new Date()).toISOString(), align: 'center' },
      { type: 'rule', style: 'double' },
      { type: 'columns', columns: [{ text: 'Profile' }, { text: profile.id, align: 'right' }] },
      { type: 'columns', columns: [{ text: 'Columns' }, { text: String(profile.columns), align: 'right' }] },
      {
        type: 'columns',
        columns: [
          { text: 'Chinese' },
          { text: profile.chineseFont ? 'printer font (GB18030)' : 'raster image', align: 'right' },
        ],
      },
      { type: 'text', text: ruler },
      { type: 'text', text: '中文测试：正品 验证 谢谢惠顾', align: 'center' },
      { type: 'text', text: 'Bold line', bold: true },
      { type: 'text', text: 'Underlined line', underline: true },
      { type: 'qr', data: `veriterm:test:${info.terminalId}` },
      { type: 'barcode', data: '4006381333931', symbology: 'ean13' },
      { type: 'cut' },
    ],
  };
}
