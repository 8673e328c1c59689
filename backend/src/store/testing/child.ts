/** Runs `store-child.ts` in its own Node process and follows what it reports. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildConfig } from "./store-child.js";

const CHILD = fileURLToPath(new URL("./store-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface StoreChild {
  readonly pid: number;
  /** Lines reported so far. */
  readonly lines: string[];
  /** Resolves with the first line starting with `prefix` (already reported or to come). */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** Calls `fn` for every line from now on. */
  onLine(fn: (line: string) => void): void;
  kill(): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function spawnStoreChild(cfg: ChildConfig): StoreChild {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(cfg)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  let buf = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const fn of [...listeners]) fn(line);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
  return {
    pid: child.pid ?? -1,
    lines,
    exited,
    onLine: (fn) => {
      listeners.push(fn);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
    waitFor: (prefix, timeoutMs = 20_000) =>
      new Promise<string>((resolve, reject) => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found !== undefined) return resolve(found);
        const timer = setTimeout(
          () => reject(new Error(`child reported no "${prefix}" within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        listeners.push((line) => {
          if (line.startsWith(prefix)) {
            clearTimeout(timer);
            resolve(line);
          }
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code ?? signal}) before "${prefix}"; stderr: ${stderr}`));
        });
      }),
  };
}
