import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { EffectVersion } from "@lingo-obs/core"
import corePackage from "../package.json" with { type: "json" }

/** A directory whose `node_modules/effect` is the given version (or absent), and a file in it to resolve from. */
const appWith = (version: string | undefined): string => {
  const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-effect-"))
  if (version !== undefined) {
    Fs.mkdirSync(Path.join(directory, "node_modules", "effect"), { recursive: true })
    Fs.writeFileSync(Path.join(directory, "node_modules", "effect", "package.json"), JSON.stringify({ name: "effect", version }))
  }
  return Path.join(directory, "main.js")
}

describe("EffectVersion", () => {
  it("takes the supported range from core's effect peer", () => {
    expect(EffectVersion.supportedRange).toBe(corePackage.peerDependencies.effect)
  })

  it("accepts the supported Effect 3 line and rejects Effect 4, older 3.x and pre-releases", () => {
    expect(EffectVersion.satisfies("3.22.0", "^3.22.0")).toBe(true)
    expect(EffectVersion.satisfies("3.30.1", "^3.22.0")).toBe(true)
    expect(EffectVersion.satisfies("3.21.9", "^3.22.0")).toBe(false)
    expect(EffectVersion.satisfies("4.1.0", "^3.22.0")).toBe(false)
    expect(EffectVersion.satisfies("3.22.0-beta.1", "^3.22.0")).toBe(false)
    expect(() => EffectVersion.satisfies("3.22.0", ">=3")).toThrow(/expected \^X\.Y\.Z/)
  })

  it("passes in this workspace", () => {
    expect(() => EffectVersion.assertSupported()).not.toThrow()
  })

  it("names the installed and the supported version, and what to do, on Effect 4", () => {
    const error = (() => {
      try {
        EffectVersion.assertSupported("@lingo-obs/observability", appWith("4.1.0"))
      } catch (error) {
        return error
      }
    })()
    expect(error).toBeInstanceOf(EffectVersion.UnsupportedEffectError)
    const message = (error as Error).message
    expect(message).toContain("@lingo-obs/observability needs effect ^3.")
    expect(message).toContain("this app has effect 4.1.0")
    expect(message).toContain("for Effect 4 use lingo-obs instead (npm install lingo-obs effect@^4.1")
    expect(message.split("\n")).toHaveLength(1)
  })

  it("says so when effect is missing or too old", () => {
    expect(() => EffectVersion.assertSupported("x", appWith(undefined))).toThrow(/needs effect \^3\.\d+\.\d+, but effect is not installed/)
    expect(() => EffectVersion.assertSupported("x", appWith("3.10.0"))).toThrow(/this app has effect 3\.10\.0 \(/)
    expect(() => EffectVersion.assertSupported("x", appWith("3.10.0"))).toThrow(EffectVersion.INSTALL_COMMAND)
  })
})
