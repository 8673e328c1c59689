import { defineConfig } from "vitest/config";
export default defineConfig({
  resolve: { alias: [{ find: /^\.\/apis\/(user-management)\.js$/, replacement: "/tmp/bbstub/stub.ts" }] },
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000, pool: "forks" },
});
