import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

/**
 * The Effect 4 line's tests: vitest 5 on Node >= 22.19 (the root's `test:effect4` runs them on
 * `npx -p node@24`), apart from the Effect 3 line's vitest 3 on Node 20 at the root.
 */
export default defineConfig({
  root: Path.dirname(fileURLToPath(import.meta.url)),
  // Workspace packages resolve to their TypeScript sources; "node" is repeated because setting the list replaces Vite's defaults.
  ssr: { resolve: { conditions: ["@lingo-obs/source", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts", "../../examples/effect4/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
