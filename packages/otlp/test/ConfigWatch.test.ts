/**
 * The config-file rules both Effect lines share, on their own without Effect: noticing a watched
 * file's edits on real files (an editor replacing the file is not an edit, a file grown too large
 * is said once), which fields an edit changed and which apply at once, and the ranges adjusted
 * rather than refused.
 */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConfigFile, ConfigRanges, ConfigWatch } from "../src/index.js"

let dir: string
beforeAll(async () => {
  dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-engine-watch-"))
})
afterAll(() => Fs.rm(dir, { recursive: true }))

describe("ConfigWatch.FileChanges", () => {
  it("reports each new content once; a file missing for a moment is no change; one too large is said once", async () => {
    const file = Path.join(dir, "watched.yaml")
    await Fs.writeFile(file, "tracing:\n  sampling_ratio: 0\n")
    const changes = new ConfigWatch.FileChanges(file)
    await changes.start()
    expect(await changes.next()).toBeUndefined()

    await Fs.writeFile(file, "tracing:\n  sampling_ratio: 1\n")
    expect(await changes.next()).toEqual({ _tag: "Text", text: "tracing:\n  sampling_ratio: 1\n" })
    expect(await changes.next()).toBeUndefined()

    // An editor's save: the old file gone, then the new one in its place.
    await Fs.rm(file)
    expect(await changes.next()).toBeUndefined()
    await Fs.writeFile(file, "tracing:\n  sampling_ratio: 1\n")
    expect(await changes.next()).toBeUndefined()

    await Fs.writeFile(file, `# ${"x".repeat(ConfigFile.MAX_FILE_BYTES)}\n`)
    const tooLarge = await changes.next()
    expect(tooLarge?._tag === "Invalid" && tooLarge.message).toContain("a config file may be at most 1 MiB")
    expect(await changes.next()).toBeUndefined()

    await Fs.writeFile(file, "tracing:\n  sampling_ratio: 0.5\n")
    expect((await changes.next())?._tag).toBe("Text")
  })
})

describe("ConfigWatch.classify", () => {
  const base = {
    service: { name: "svc" },
    tracing: { enabled: true, samplingRatio: 0.1, batchTimeout: "5s", headers: { "x-a": "1" } },
    metrics: { enabled: true, interval: "60s" },
    logs: { enabled: false },
    globalAttributes: { region: "eu" },
    shutdownTimeout: "10s"
  }

  it("nothing changed is nothing to do", () => {
    expect(ConfigWatch.classify(base, structuredClone(base))).toEqual({ hot: [], cold: [] })
  })

  it("the sampling ratio and the signals' enabled apply at once; every other field, in any section, waits for a restart", () => {
    const after = {
      ...base,
      tracing: { ...base.tracing, samplingRatio: 1, batchTimeout: "2s", headers: { "x-a": "2" } },
      metrics: { ...base.metrics, enabled: false },
      logs: { enabled: true },
      globalAttributes: { region: "us", zone: "b" },
      shutdownTimeout: "5s"
    }
    expect(ConfigWatch.classify(base, after)).toEqual({
      hot: ["tracing.samplingRatio", "metrics.enabled"],
      cold: ["tracing.batchTimeout", "tracing.headers", "logs.enabled", "globalAttributes.region", "globalAttributes.zone", "shutdownTimeout"]
    })
  })
})

describe("ConfigRanges.clamp", () => {
  const config = {
    tracing: { samplingRatio: 0.5, maxExportBatchSize: 512, maxQueueSize: 2048 },
    logs: { maxExportBatchSize: 512, maxQueueSize: 2048 }
  }

  it("leaves a config in range as it is, the same object", () => {
    const clamped = ConfigRanges.clamp(config)
    expect(clamped.config).toBe(config)
    expect(clamped.adjustments).toEqual([])
  })

  it("clamps a ratio outside [0, 1] and cuts a batch to its queue, one warning naming each field", () => {
    const { adjustments, config: adjusted } = ConfigRanges.clamp({
      tracing: { samplingRatio: -2, maxExportBatchSize: 100, maxQueueSize: 10 },
      logs: { maxExportBatchSize: 5, maxQueueSize: 4 }
    })
    expect(adjusted).toEqual({ tracing: { samplingRatio: 0, maxExportBatchSize: 10, maxQueueSize: 10 }, logs: { maxExportBatchSize: 4, maxQueueSize: 4 } })
    expect(adjustments.map((adjustment) => adjustment.field)).toEqual(["tracing.samplingRatio", "tracing.maxExportBatchSize", "logs.maxExportBatchSize"])
    expect(adjustments[0]!.message).toBe("tracing.samplingRatio -2 is outside [0, 1]; using 0")
  })
})
