import { defineConfig } from "vitest/config"
import base from "../../vitest.config.js"

// The root config's resolution (workspace packages from source), with only the tarball test.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["scripts/tarball/**/*.test.ts"], testTimeout: 1_800_000, hookTimeout: 1_800_000 }
})
