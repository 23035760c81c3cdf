import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { nextMessage, type SimChild } from '../../../cli/upstream/simulate/sim-children.js';

/** Enough of a child process for nextMessage: messages, exit, the stderr tail. */
const fakeChild = () =>
  Object.assign(new EventEmitter(), { stderrTail: () => 'tail' }) as unknown as SimChild;

describe('nextMessage', () => {
  it('resolves with the message of its type, passing others by', async () => {
    const child = fakeChild();
    const answer = nextMessage<{ type: 'audit'; n: number }>(child, 'audit', 60_000);
    child.emit('message', { type: 'progress' });
    child.emit('message', { type: 'audit', n: 3 });
    await expect(answer).resolves.toEqual({ type: 'audit', n: 3 });
  });

  it('rejects at once, with the reason, when the process answers `<type>-failed`', async () => {
    const child = fakeChild();
    const answer = nextMessage<{ type: 'audit' }>(child, 'audit', 60_000);
    child.emit('message', { type: 'audit-failed', message: 'database gone' });
    await expect(answer).rejects.toThrow(/failed 'audit': database gone/);
  });

  it('rejects when the process exits first', async () => {
    const child = fakeChild();
    const answer = nextMessage<{ type: 'audit' }>(child, 'audit', 60_000);
    child.emit('exit', 1);
    await expect(answer).rejects.toThrow(/exited \(1\) before 'audit': tail/);
  });
});
