import { defineConfig } from "vitest/config"

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources, so tests never need a build first.
  // Setting the list replaces Vite's defaults, so "node" is repeated here.
  ssr: { resolve: { conditions: ["@lingo-obs/source", "node", "development|production"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "scripts/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
