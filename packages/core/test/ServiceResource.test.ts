import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { Effect } from "effect"
import { ConfigSource, ServiceResource } from "../src/index.js"
import { withEnv } from "./support.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("ServiceResource", () => {
  it.effect("carries service.instance.id: a random UUID per process, the same for every signal", () =>
    Effect.gen(function*() {
      const { value: config } = yield* withEnv({}, ConfigSource.resolve({}))
      const first = yield* ServiceResource.attributes(config, { name: "a" })
      const second = yield* ServiceResource.attributes(config, { name: "b" })
      expect(first["service.instance.id"]).toMatch(UUID)
      expect(second["service.instance.id"]).toBe(first["service.instance.id"])
      // Another process, another id.
      const module = new URL("../src/ServiceResource.ts", import.meta.url).href
      const other = execFileSync(process.execPath, [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { instanceId } = await import(${JSON.stringify(module)}); console.log(instanceId)`
      ]).toString().trim()
      expect(other).toMatch(UUID)
      expect(other).not.toBe(first["service.instance.id"])
    }))

  it.effect("a service.instance.id set in OTEL_RESOURCE_ATTRIBUTES or globalAttributes wins", () =>
    Effect.gen(function*() {
      const { value: fromEnv } = yield* withEnv(
        { OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=pod-7" },
        ConfigSource.resolve({})
      )
      expect((yield* ServiceResource.attributes(fromEnv))["service.instance.id"]).toBe("pod-7")
      const { value: fromFile } = yield* withEnv({}, ConfigSource.resolve({ globalAttributes: { "service.instance.id": "vm-3" } }))
      expect((yield* ServiceResource.attributes(fromFile))["service.instance.id"]).toBe("vm-3")
    }))
})
