/**
 * notify(): the client side of sd_notify(3), for a Node program run by systemd (or by a
 * supervisor with `ready: 'notify'`): one datagram to `$NOTIFY_SOCKET`.
 */
import { invalidArgValue, systemError } from '../errors';
import { validateCString } from '../validate';
import { notifyBinding, socketAddress } from './notify-socket';
import { NOTIFY_MESSAGE_MAX } from './notify-message';

/**
 * Sends `state` to the service manager, as sd_notify(3) does: newline-separated
 * assignments such as `'READY=1'`, `'STATUS=warming up'`, `'WATCHDOG=1'`, in one datagram
 * to the unix socket `NOTIFY_SOCKET` names (an absolute path, or `@` and an abstract name).
 * @param state - the assignments (1 to 4096 bytes, no NUL).
 * @param socket - where to send (default: `process.env.NOTIFY_SOCKET`).
 * @returns false when there is no socket to send to (`NOTIFY_SOCKET` unset or empty: not
 *   run by a service manager), true once the datagram was sent.
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad `state` or a socket
 *   address that is neither absolute nor abstract; a system error of `sendto` (ECONNREFUSED
 *   when nothing is bound there, ENOENT, EACCES) with `path`.
 * @see sd_notify(3), unix(7)
 */
export function notify(state: string, socket: string | undefined = process.env.NOTIFY_SOCKET): boolean {
  validateCString(state, 'state', false);
  if (Buffer.byteLength(state) > NOTIFY_MESSAGE_MAX) {
    throw invalidArgValue('state', `${state.slice(0, 40)}...`, `must be at most ${NOTIFY_MESSAGE_MAX} bytes (one datagram)`);
  }
  if (socket === undefined || socket === '') return false;
  validateCString(socket, 'socket', false);
  if (!(socket.startsWith('/') || (socket.startsWith('@') && socket.length > 1))) {
    throw invalidArgValue('socket', socket, "must be an absolute path or '@' and an abstract name");
  }
  const { address, abstract } = socketAddress(socket);
  const r = notifyBinding().notifySend(address, abstract, Buffer.from(state));
  if (r < 0) throw systemError(r, 'sendto', socket);
  return true;
}
