import * as p from '@clack/prompts';
import { VeritermError } from '../terminal/errors.js';
import type { ProvisionUi } from './ui.js';

/** Interactive UI on a TTY with @clack/prompts. Ctrl+C at any question cancels the whole run. */
export function clackUi(io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }): ProvisionUi {
  const opts = { input: io.input as NodeJS.ReadStream, output: io.output as NodeJS.WriteStream };
  const answer = <T>(value: T | symbol): T => {
    if (typeof value === 'symbol' || p.isCancel(value))
      throw new VeritermError('cancelled', 'provisioning cancelled; nothing was written');
    return value;
  };
  return {
    interactive: true,
    step: (title) => p.log.step(title, opts),
    info: (m) => p.log.info(m, opts),
    warn: (m) => p.log.warn(m, opts),
    success: (m) => p.log.success(m, opts),
    text: async (q) =>
      q.secret
        ? answer<string>(
            await p.password({
              message: q.message,
              ...(q.validate ? { validate: (v: string | undefined) => q.validate?.(v ?? '') } : {}),
              ...opts,
            }),
          )
        : answer<string>(
            await p.text({
              message: q.message,
              ...(q.placeholder ? { placeholder: q.placeholder } : {}),
              ...(q.initial ? { initialValue: q.initial } : {}),
              ...(q.validate ? { validate: (v: string | undefined) => q.validate?.(v ?? '') } : {}),
              ...opts,
            }),
          ),
    select: async <T>(q: {
      key: string;
      message: string;
      options: { value: T; label: string; hint?: string }[];
    }) =>
      answer(
        await p.select<T>({
          message: q.message,
          // { value, label, hint? } fits both branches of clack's conditional Option<T>, which
          // TypeScript cannot pick for a generic T.
          options: q.options.map((o) => ({
            value: o.value,
            label: o.label,
            ...(o.hint ? { hint: o.hint } : {}),
          })) as p.Option<T>[],
          ...opts,
        }),
      ) as T,
    confirm: async (q) =>
      answer<boolean>(await p.confirm({ message: q.message, initialValue: q.initial ?? true, ...opts })),
  };
}
