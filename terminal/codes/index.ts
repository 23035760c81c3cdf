/** The code reader: raw scanner data → canonical unit code. Pure functions, no I/O. */
export { GS1_ELEMENT_AIMS, GTIN_AIMS, readAim } from './aim.js';
export { gs1CheckDigit, hasValidCheckDigit } from './check-digit.js';
export {
  encodeDigitalLinkValue,
  type FormatElementStringOptions,
  formatElementString,
  toDigitalLink,
} from './format.js';
export { AI_DEFINITIONS, type AiDefinition, aiDefinition } from './gs1-ai.js';
export { MAX_INPUT_LENGTH } from './normalize.js';
export { parseCode } from './parse-code.js';
export { productKeyOf } from './product-key.js';
export type {
  AimId,
  CodeKind,
  ParsedCode,
  ParseErrorCode,
  ParseFailure,
  ParseOptions,
  ParseResult,
} from './types.js';
