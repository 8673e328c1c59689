/**
 * A circuit breaker per product: after `threshold` consecutive failed attempts (5xx, network), requests fail fast
 * for `cooldownMs`; then one probe is let through (half-open), and its success closes the circuit again.
 */
import { CircuitOpenError } from "@accessmap/shared/transport/errors";

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    readonly product: string,
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly clock: () => number,
  ) {}

  /** Throws CircuitOpenError while open; lets one probe through after the cooldown. */
  before(): void {
    if (this.openedAt === null) return;
    if (this.clock() - this.openedAt < this.cooldownMs || this.probing) throw new CircuitOpenError(this.product);
    this.probing = true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.probing || this.failures >= this.threshold) this.openedAt = this.clock();
    this.probing = false;
  }

  get state(): "closed" | "open" | "half-open" {
    if (this.openedAt === null) return "closed";
    return this.clock() - this.openedAt < this.cooldownMs ? "open" : "half-open";
  }
}
