/**
 * A secret value that cannot leak by accident: it prints, serializes and inspects as `[REDACTED]`, and only
 * `reveal()` gives the value, at the one place that sends it.
 */
const REDACTED = "[REDACTED]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value, for the Authorization header that needs it and nowhere else. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}
