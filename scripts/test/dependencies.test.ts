import { describe, expect, it } from "@effect/vitest"
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
    const names = Dependencies.importsOf("x.ts", text).map(Dependencies.packageName).filter((name) => name !== undefined)
    expect(names).toEqual(["a", "@scope/b", "c", "d", "e", "f", "g"])
  })
})
