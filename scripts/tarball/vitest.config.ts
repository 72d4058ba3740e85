import { defineConfig } from "vitest/config"
import base from "../../vitest.config.js"

// The root config's resolution (workspace packages from source), with only the tarball tests: one
// file at a time, since each packs the workspace (`pnpm pack:all` builds in place).
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["scripts/tarball/**/*.test.ts"], testTimeout: 1_800_000, hookTimeout: 1_800_000, fileParallelism: false }
})
