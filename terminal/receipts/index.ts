export * from './document.js';
export { type LayoutItem, layoutReceipt } from './layout.js';
export { type PreviewOptions, renderPreview } from './preview.js';
export { getProfile, PROFILE_IDS, type PrinterProfile, type ProfileId } from './profiles.js';
export { DEFAULT_CJK_FONT } from './raster-text.js';
export { type RenderOptions, renderReceipt } from './render-escpos.js';
export { testPageDocument } from './test-page.js';
export { padToWidth, textWidth, type WidthMode, wrapText } from './text-width.js';
