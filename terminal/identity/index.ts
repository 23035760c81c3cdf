export {
  createTerminalKey,
  identityFromPrivateKey,
  loadOrCreateTerminalKey,
  publicKeyFrom,
  TERMINAL_KEY_FILE,
  type TerminalIdentity,
} from './terminal-key.js';
