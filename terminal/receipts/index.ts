export * from './document.js';
export { type LayoutItem, layoutReceipt } from './layout.js';
export { getProfile, PROFILE_IDS, type PrinterProfile, type ProfileId } from './profiles.js';
export { DEFAULT_CJK_FONT } from './raster-text.js';
export { type RenderOptions, renderReceipt } from './render-escpos.js';
export { padToWidth, textWidth, wrapText } from './text-width.js';
