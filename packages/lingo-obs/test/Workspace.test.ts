/**
 * The traps of two Effect lines in one workspace: a package that lacks its own `effect` resolves
 * the root's Effect 3 silently, and a test runner of the other line runs these tests on the wrong
 * Node. Each is checked where it would bite: from this package's own files.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"

const PACKAGE = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const ROOT = Path.resolve(PACKAGE, "../..")
const requireHere = createRequire(Path.join(PACKAGE, "package.json"))

const versionOf = (name: string): string => {
  const entry = requireHere.resolve(`${name}/package.json`)
  return (JSON.parse(Fs.readFileSync(entry, "utf8")) as { version: string }).version
}

describe("the Effect 4 line's workspace", () => {
  it("resolves Effect 4, not the root's Effect 3", () => {
    expect(versionOf("effect")).toMatch(/^4\.(\d+)\./)
    expect(Number(versionOf("effect").split(".")[1])).toBeGreaterThanOrEqual(1)
  })

  it("runs under vitest 5 with @effect/vitest 4", () => {
    expect(versionOf("vitest")).toMatch(/^5\./)
    expect(versionOf("@effect/vitest")).toMatch(/^4\./)
  })

  it("runs on a Node the line supports (>= 22.19)", () => {
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number]
    expect(major > 22 || (major === 22 && minor >= 19)).toBe(true)
  })

  it("the `effect` this file imported is the Effect 4 module (Effect 3 has no Effect.callback)", () => {
    expect(typeof (Effect as Record<string, unknown>)["callback"]).toBe("function")
    expect((Effect as Record<string, unknown>)["async"]).toBeUndefined()
  })

  it.effect("@effect/vitest 4 runs Effect 4 programs", () =>
    Effect.gen(function*() {
      const value = yield* Effect.succeed(21).pipe(Effect.map((n) => n * 2))
      expect(value).toBe(42)
    }))

  it("one copy of Effect per line and one @opentelemetry/api in the lockfile", () => {
    const lockfile = Fs.readFileSync(Path.join(ROOT, "pnpm-lock.yaml"), "utf8")
    const versions = (name: string) =>
      [...new Set([...lockfile.matchAll(new RegExp(`^  '?${name.replace("/", "\\/")}@(\\d[^:(']*)'?:`, "gm"))].map((m) => m[1]!))]
    const effect = versions("effect")
    expect(effect.filter((version) => version.startsWith("3."))).toHaveLength(1)
    expect(effect.filter((version) => version.startsWith("4."))).toHaveLength(1)
    expect(effect).toHaveLength(2)
    expect(versions("@opentelemetry/api")).toHaveLength(1)
    expect(versions("@effect/vitest")).toHaveLength(2)
  })

  it("no other workspace package is named lingo-obs (same-name packages mis-link in pnpm)", () => {
    const manifests = ["package.json", ...["packages", "examples"].flatMap((dir) =>
      Fs.readdirSync(Path.join(ROOT, dir)).map((name) => Path.join(dir, name, "package.json"))
    ), "bench/package.json"].filter((file) => Fs.existsSync(Path.join(ROOT, file)))
    const named = manifests.filter((file) =>
      (JSON.parse(Fs.readFileSync(Path.join(ROOT, file), "utf8")) as { name?: string }).name === "lingo-obs"
    )
    expect(named).toEqual(["packages/lingo-obs/package.json"])
  })

  it("this package's own sources resolve through the package name (the exports map's source condition)", async () => {
    const self = (await import("lingo-obs")) as Record<string, unknown>
    expect(Object.keys(self).sort()).toEqual([
      "Config",
      "ConfigSource",
      "CorrelatedLogger",
      "Instrumentation",
      "Logs",
      "Metrics",
      "MetricsTest",
      "Observability",
      "ObservabilityLive",
      "ObservabilityTest",
      "Reconfigure",
      "Required",
      "ServiceResource",
      "TestLogger",
      "Tracing"
    ])
  })
})
