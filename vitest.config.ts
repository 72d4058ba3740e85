import { configDefaults, defineConfig } from "vitest/config"

/**
 * The toolkit's own info and debug lines (`component=observability`: "observability started",
 * shutdown summaries) are what a service operator reads; in a test run they are noise, so they
 * are dropped from the output unless `LINGO_OBS_TEST_LOGS=1`. Warnings and errors always show,
 * and tests that assert on lines capture them with `TestLogger`, which this does not touch.
 */
const TOOLKIT_INFO = /level=(INFO|DEBUG|TRACE)\b[\s\S]*component=observability|"component":"observability"[\s\S]*"level":"(INFO|DEBUG|TRACE)"|"level":"(INFO|DEBUG|TRACE)"[\s\S]*"component":"observability"/

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources, so tests never need a build first.
  // Setting the list replaces Vite's defaults, so "node" is repeated here.
  ssr: { resolve: { conditions: ["@lingo-obs/source", "node", "development|production"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "scripts/test/**/*.test.ts"],
    // The Effect 4 line runs its own tests (vitest 5, Node >= 22.19): `test:effect4`.
    exclude: [...configDefaults.exclude, "packages/lingo-obs/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    onConsoleLog: (log) => (process.env["LINGO_OBS_TEST_LOGS"] === undefined && TOOLKIT_INFO.test(log) ? false : undefined)
  }
})
