/**
 * Writes text to a Node `Writable` in chunks of about 64 KiB, honouring backpressure: when `write` returns false the
 * writer waits for `drain` before it accepts more. Exporters push one record at a time and `await` only when a chunk
 * went out, so memory stays bounded by one chunk plus whatever the stream itself buffers.
 */
import { once } from "node:events";
import type { Writable } from "node:stream";

export class ChunkWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly out: Writable,
    private readonly chunkSize = 64 * 1024,
  ) {}

  /** Buffers `text`; true when the chunk is full and the caller should `await flush()`. */
  push(text: string): boolean {
    this.parts.push(text);
    this.size += text.length;
    return this.size >= this.chunkSize;
  }

  /** Sends the buffered text, waiting for `drain` when the stream asks for it. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.parts.join("");
    this.parts = [];
    this.size = 0;
    if (!this.out.write(chunk)) await once(this.out, "drain");
  }

  /** Pushes and flushes when due. */
  async write(text: string): Promise<void> {
    if (this.push(text)) await this.flush();
  }
}
