export {
  createSystemdNotifier,
  type NotifySender,
  type SystemdNotifier,
  systemdNotifySender,
} from './notify.js';
