import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Dependencies from "../check-dependencies.js"

describe("package manifests", () => {
  it("declare every package src/ imports, and import every package they declare", () => {
    expect(Dependencies.check()).toEqual([])
  })

  it("see imports the way the build does: static, dynamic, type-only and lazy requires, not comments", () => {
    const text = [
      `import * as A from "a/deep"`,
      `import type { B } from "@scope/b/sub"`,
      `export { c } from "c"`,
      `const d = await import("d")`,
      `type E = typeof import("e")`,
      `const f = requireModule("f")`,
      `const g = createRequire(import.meta.url)("g/build/root.js")`,
      `import * as Fs from "node:fs"`,
      `import * as Local from "./local.js"`,
      `// import { h } from "h"`,
      `/** @example import { i } from "i" */`
    ].join("\n")
    const found = Dependencies.importsOf("x.ts", text).flatMap(({ specifier, typeOnly }) => {
      const name = Dependencies.packageName(specifier)
      return name === undefined ? [] : [`${name}${typeOnly ? " (type)" : ""}`]
    })
    expect(found).toEqual(["a", "@scope/b (type)", "c", "d", "e (type)", "f", "g"])
  })
})

describe("layering", () => {
  const workspace = new Set(Object.keys(Dependencies.LAYERS))
  const edge = (pkg: string, file: string, specifier: string): Dependencies.Edge => ({ pkg, file, specifier })
  const allowed = [
    edge("@lingo-obs/otlp", "packages/otlp/src/Pipeline.ts", "./Transport.js"),
    edge("@lingo-obs/otlp", "packages/otlp/test/Pipeline.test.ts", "vitest"),
    edge("@lingo-obs/otlp-receiver", "packages/otlp-receiver/src/OtlpReceiver.ts", "@lingo-obs/otlp"),
    edge("@lingo-obs/dev", "packages/dev/src/Dev.ts", "@lingo-obs/otlp-receiver"),
    edge("@lingo-obs/core", "packages/core/src/index.ts", "@lingo-obs/otlp/SpanEncoder"),
    edge("@lingo-obs/core", "packages/core/src/config/ConfigSource.ts", "../export/Endpoint.js"),
    edge("@lingo-obs/core", "packages/core/src/export/OtlpGrpc.ts", "../Required.js"),
    edge("@lingo-obs/tracing", "packages/tracing/src/Tracing.ts", "@lingo-obs/core"),
    edge("@lingo-obs/tracing", "packages/tracing/src/Tracing.ts", "effect/Effect")
  ]

  it("passes imports that run down or stay on their floor", () => {
    expect(Dependencies.layering(allowed, workspace)).toEqual([])
  })

  it("fails on each kind of upward import", () => {
    const upward = [
      edge("@lingo-obs/otlp", "packages/otlp/src/Pipeline.ts", "effect/Effect"),
      edge("@lingo-obs/otlp", "packages/otlp/test/Pipeline.test.ts", "@effect/vitest"),
      edge("@lingo-obs/otlp", "packages/otlp/src/Pipeline.ts", "@lingo-obs/core"),
      edge("@lingo-obs/otlp-receiver", "packages/otlp-receiver/src/OtlpReceiver.ts", "@lingo-obs/core"),
      edge("@lingo-obs/dev", "packages/dev/src/Dev.ts", "@lingo-obs/tracing"),
      edge("@lingo-obs/core", "packages/core/src/Globals.ts", "@lingo-obs/tracing"),
      edge("@lingo-obs/core", "packages/core/src/export/Sender.ts", "../config/Config.js"),
      edge("@lingo-obs/new-thing", "packages/new-thing/src/index.ts", "@lingo-obs/otlp")
    ]
    expect(Dependencies.layering([...allowed, ...upward], workspace)).toEqual([
      `packages/otlp/src/Pipeline.ts imports "effect": @lingo-obs/otlp runs without Effect`,
      `packages/otlp/test/Pipeline.test.ts imports "@effect/vitest": @lingo-obs/otlp runs without Effect`,
      `packages/otlp/src/Pipeline.ts imports "@lingo-obs/core": @lingo-obs/otlp may import only no package of this repository`,
      `packages/otlp-receiver/src/OtlpReceiver.ts imports "@lingo-obs/core": @lingo-obs/otlp-receiver may import only @lingo-obs/otlp`,
      `packages/dev/src/Dev.ts imports "@lingo-obs/tracing": @lingo-obs/dev may import only @lingo-obs/otlp, @lingo-obs/otlp-receiver`,
      `packages/core/src/Globals.ts imports "@lingo-obs/tracing": @lingo-obs/core may import only @lingo-obs/otlp`,
      `packages/core/src/export/Sender.ts imports "../config/Config.js": core's export/ must not import config/ (pass plain settings down instead)`,
      `@lingo-obs/new-thing: not in scripts/check-dependencies.ts LAYERS; say which packages it may import`
    ])
  })

  it("tolerates a listed export/ → config/ import, and reports it once it is gone, so the list only shrinks", () => {
    const known = new Set(["packages/core/src/export/Moving.ts", "packages/core/src/export/Moved.ts"])
    const edges = [
      edge("@lingo-obs/core", "packages/core/src/export/Moving.ts", "../config/Config.js"),
      edge("@lingo-obs/core", "packages/core/src/export/Moved.ts", "./Transport.js")
    ]
    expect(Dependencies.layering(edges, workspace, known)).toEqual([
      `packages/core/src/export/Moved.ts no longer imports config/: remove it from KNOWN_UPWARD in scripts/check-dependencies.ts`
    ])
  })

  it("tolerates no export/ → config/ import today", () => {
    expect([...Dependencies.KNOWN_UPWARD]).toEqual([])
  })

  it("finds import cycles inside a package, type-only ones included, and tolerates a listed one until it is gone", () => {
    const cycle = [
      edge("@lingo-obs/metrics", "packages/metrics/src/Metrics.ts", "./internal/metricsExport.js"),
      edge("@lingo-obs/metrics", "packages/metrics/src/internal/metricsExport.ts", "../Metrics.js"),
      edge("@lingo-obs/metrics", "packages/metrics/src/internal/metricsExport.ts", "./options.js"),
      edge("@lingo-obs/metrics", "packages/metrics/src/internal/options.ts", "@lingo-obs/core")
    ]
    expect(Dependencies.cycles(cycle, [])).toEqual([
      "import cycle: packages/metrics/src/Metrics.ts <-> packages/metrics/src/internal/metricsExport.ts (move what both need into a module of its own)"
    ])
    const known = [["packages/metrics/src/Metrics.ts", "packages/metrics/src/internal/metricsExport.ts"]]
    expect(Dependencies.cycles(cycle, known)).toEqual([])
    // The cycle broken: the option types in a module of their own.
    const broken = cycle.filter(({ specifier }) => specifier !== "../Metrics.js")
    expect(Dependencies.cycles(broken, [])).toEqual([])
    expect(Dependencies.cycles(broken, known)).toEqual([
      "no import cycle goes through packages/metrics/src/Metrics.ts and packages/metrics/src/internal/metricsExport.ts any more: remove it from KNOWN_CYCLES in scripts/check-dependencies.ts"
    ])
  })

  it("reads the import graph from the packages' files", () => {
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-layers-"))
    try {
      Fs.mkdirSync(Path.join(root, "otlp", "src"), { recursive: true })
      Fs.writeFileSync(Path.join(root, "otlp", "package.json"), JSON.stringify({ name: "@lingo-obs/otlp", dependencies: { effect: "^3.22.0" } }))
      Fs.writeFileSync(Path.join(root, "otlp", "src", "Pipeline.ts"), `import * as Effect from "effect/Effect"\nexport const done = Effect.void\n`)
      expect(Dependencies.check([Path.join(root, "otlp")])).toEqual([
        expect.stringMatching(/otlp\/src\/Pipeline\.ts imports "effect": @lingo-obs\/otlp runs without Effect$/)
      ])
    } finally {
      Fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
