/**
 * Live progress on stderr: one updating line on a terminal, a line every few seconds otherwise (CI logs).
 */
import type { DiscoveryProgress } from "../discovery/run-discovery.js";

export class ProgressPrinter {
  private readonly latest = new Map<string, DiscoveryProgress>();
  private lastPrint = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = out.isTTY ? 100 : 3000,
  ) {}

  update(p: DiscoveryProgress): void {
    this.latest.set(p.source, p);
    const now = Date.now();
    if (now - this.lastPrint < this.intervalMs) return;
    this.lastPrint = now;
    const line = [...this.latest.values()]
      .map((s) => {
        const of = s.total !== null ? `/${s.total}` : "";
        const wait = s.waitingMs > 1000 ? `, waited ${(s.waitingMs / 1000).toFixed(0)}s on rate limits` : "";
        return `${s.source}: ${s.phase} ${s.done}${of} (${s.calls} calls${wait})`;
      })
      .join(" | ");
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 160) - 1)}`);
    else this.out.write(`${line}\n`);
  }

  done(): void {
    if (this.out.isTTY) this.out.write("\r\x1b[2K");
  }
}
