export { AuthService, type SignInResult } from './auth/auth-service.js';
export { hashPin, verifyPin } from './auth/pin-hash.js';
export { requireRole } from './auth/require-role.js';
export { type Principal, ROLES, type Role, roleAllows } from './auth/roles.js';
export { sendError } from './errors.js';
export { describeIssues } from './routes/kiosk-routes.js';
export { createHttpServer, type HttpDeps, type HttpPlugin } from './server.js';
export type * from './wire-types.js';
export { WsHub } from './ws-hub.js';
