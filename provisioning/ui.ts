/** One choice in a select question. */
export interface Choice<T> {
  value: T;
  label: string;
  hint?: string;
}

/**
 * What the provisioning steps ask and tell. The interactive wizard implements it with
 * @clack/prompts; `--answers` implements it from the answers file. The steps are the same.
 * `key` names the answers-file field that answers the question (the non-interactive UI reports
 * it when missing).
 */
export interface ProvisionUi {
  readonly interactive: boolean;
  step(title: string): void;
  info(message: string): void;
  warn(message: string): void;
  success(message: string): void;
  text(question: {
    key: string;
    message: string;
    placeholder?: string;
    initial?: string;
    /** A password: not echoed. */
    secret?: boolean;
    validate?: (value: string) => string | undefined;
  }): Promise<string>;
  select<T>(question: { key: string; message: string; options: Choice<T>[] }): Promise<T>;
  confirm(question: { key: string; message: string; initial?: boolean }): Promise<boolean>;
}
