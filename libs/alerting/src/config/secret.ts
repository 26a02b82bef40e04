import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential read from configuration (PagerDuty routing key, Slack webhook
 * URL, webhook signing secret). The value lives in a private field and every
 * way an object gets printed (JSON.stringify, util.inspect/console, template
 * strings) shows `[redacted]`, so logging a whole config object cannot leak
 * it. Code that needs the value asks for it explicitly with `reveal()`.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
