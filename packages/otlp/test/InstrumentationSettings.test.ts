/**
 * The instrumentation settings both lines derive from the metrics config section, and their
 * defaults (what the middleware does without an Observability layer) held to the config's own.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { InstrumentationSettings } from "../src/index.js"

const SCHEMA = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../../schema/observability-config.schema.json")

const section = {
  enabled: true,
  exporter: "otlp_grpc",
  grpcEnabled: true,
  grpcIncludeHealth: false,
  legacyRpcMetrics: false
}

describe("InstrumentationSettings", () => {
  it("records request metrics only with metrics enabled and an exporter other than none", () => {
    expect(InstrumentationSettings.fromMetrics(section).requestMetrics).toBe(true)
    expect(InstrumentationSettings.fromMetrics({ ...section, exporter: "none" }).requestMetrics).toBe(false)
    expect(InstrumentationSettings.fromMetrics({ ...section, enabled: false }).requestMetrics).toBe(false)
    expect(InstrumentationSettings.fromMetrics({ ...section, grpcEnabled: false, grpcIncludeHealth: true, legacyRpcMetrics: true }))
      .toEqual({ requestMetrics: true, grpcMetrics: false, grpcIncludeHealth: true, legacyRpcMetrics: true })
  })

  it("defaults to what the config file's defaults describe", () => {
    const document = JSON.parse(Fs.readFileSync(SCHEMA, "utf8"))
    const metrics = document.$defs.ObservabilityConfig.properties.metrics.properties
    const defaults = Object.fromEntries(Object.keys(section).map((key) => [key, metrics[key].default]))
    expect(InstrumentationSettings.fromMetrics(defaults as typeof section)).toEqual(InstrumentationSettings.DEFAULTS)
  })
})
