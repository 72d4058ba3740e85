/** Hot reconfiguration of a running program, observed at the receiver. */
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Exit, Schedule } from "effect"
import { Observability, Reconfigure, TestLogger } from "../src/index.js"
import { runCapturing } from "./support.js"

let receiver: OtlpReceiver.Receiver
let dir: string
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
  dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-reconfigure-"))
})
afterAll(async () => {
  await receiver.stop()
  await Fs.rm(dir, { recursive: true })
})
beforeEach(() => receiver.reset())

const liveLayer = (tracing: Record<string, unknown> = {}) =>
  Observability.layer({
    service: { name: "reconfigure" },
    config: {
      tracing: { endpoint: receiver.endpoint, insecure: true, batchTimeout: "20ms", samplingRatio: 0, ...tracing },
      metrics: { enabled: false }
    }
  })

/** `count` traces, each a root with one child, named `<phase>-<i>`. */
const traces = (phase: string, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
    Effect.void.pipe(Effect.withSpan(`${phase}-child`), Effect.withSpan(`${phase}-${i}`)), { discard: true })

const rootsOf = (phase: string) =>
  receiver.spans().filter((span) => span.name.startsWith(`${phase}-`) && span.parentSpanId === undefined)

describe("Reconfigure", () => {
  it.live("sampling 0 → 1 → 0 while traces are created: none, all, none; no trace split across a change", () =>
    Effect.gen(function*() {
      const { lines } = yield* runCapturing(
        liveLayer(),
        Effect.gen(function*() {
          yield* traces("before", 20)
          // A trace whose root was not sampled stays unsampled after the ratio goes up.
          const unsampledTrace = Effect.gen(function*() {
            yield* Reconfigure.setSamplingRatio(1)
            yield* Effect.void.pipe(Effect.withSpan("late-child-of-unsampled"))
          }).pipe(Effect.withSpan("unsampled-root"))
          yield* unsampledTrace
          yield* traces("during", 20)
          // A trace whose root was sampled keeps its children after the ratio goes down.
          const sampledTrace = Effect.gen(function*() {
            yield* Reconfigure.setSamplingRatio(0)
            yield* Effect.void.pipe(Effect.withSpan("late-child-of-sampled"))
          }).pipe(Effect.withSpan("sampled-root"))
          yield* sampledTrace
          yield* traces("after", 20)
        })
      )
      expect(rootsOf("before")).toHaveLength(0)
      expect(rootsOf("during")).toHaveLength(20)
      expect(receiver.spans().filter((span) => span.name === "during-child")).toHaveLength(20)
      expect(rootsOf("after")).toHaveLength(0)
      const names = receiver.spans().map((span) => span.name)
      expect(names).not.toContain("unsampled-root")
      expect(names).not.toContain("late-child-of-unsampled")
      const sampledRoot = receiver.spans().find((span) => span.name === "sampled-root")!
      const lateChild = receiver.spans().find((span) => span.name === "late-child-of-sampled")!
      expect(lateChild.parentSpanId).toBe(sampledRoot.spanId)
      const changes = lines.filter((line) => line.message.startsWith("tracing.samplingRatio changed"))
      expect(changes.map((line) => line.message)).toEqual([
        "tracing.samplingRatio changed from 0 to 1",
        "tracing.samplingRatio changed from 1 to 0"
      ])
    }))

  it.live("export switched off and on; an out-of-range ratio is refused", () =>
    Effect.gen(function*() {
      const { lines } = yield* runCapturing(
        liveLayer({ samplingRatio: 1 }),
        Effect.gen(function*() {
          yield* Reconfigure.setExporting("tracing", false)
          yield* traces("off", 5)
          yield* Reconfigure.setExporting("tracing", true)
          yield* traces("on", 5)
          const refused = yield* Effect.exit(Reconfigure.setSamplingRatio(2))
          expect(Exit.isFailure(refused) && String(refused.cause)).toContain(
            "Cannot change tracing.samplingRatio: expected a number between 0 and 1, got 2"
          )
          // Metrics are off in this config: the change is refused, saying why.
          const metrics = yield* Effect.exit(Reconfigure.setExporting("metrics", true))
          expect(Exit.isFailure(metrics) && String(metrics.cause)).toContain("metrics.enabled")
          expect((yield* Reconfigure.current).samplingRatio).toBe(1)
        })
      )
      expect(rootsOf("off")).toHaveLength(0)
      expect(rootsOf("on")).toHaveLength(5)
      expect(lines.map((line) => line.message)).toEqual(
        expect.arrayContaining(["tracing.enabled changed from true to false", "tracing.enabled changed from false to true"])
      )
    }))

  it.live("a watched file's samplingRatio edit applies without a restart; an invalid edit changes nothing", () =>
    Effect.gen(function*() {
      const file = Path.join(dir, "observability.yaml")
      const write = (ratio: string) =>
        Effect.promise(() =>
          Fs.writeFile(
            file,
            `observability:\n  tracing:\n    endpoint: ${receiver.endpoint}\n    insecure: true\n    batchTimeout: 20ms\n    samplingRatio: ${ratio}\n  metrics:\n    enabled: false\n`
          )
        )
      yield* write("0")
      const waitForRatio = (ratio: number) =>
        Reconfigure.current.pipe(
          Effect.repeat({ until: (settings) => settings.samplingRatio === ratio, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("3 seconds")
        )
      const capture = TestLogger.make()
      const errorLogged = Effect.sync(() => capture.lines.some((line) => line.level === "ERROR")).pipe(
        Effect.repeat({ until: (logged) => logged, schedule: Schedule.spaced("50 millis") }),
        Effect.timeout("3 seconds")
      )
      const { lines } = yield* runCapturing(
        Observability.layer({ file, watch: true }),
        Effect.gen(function*() {
          yield* traces("before", 5)
          yield* write("1")
          yield* waitForRatio(1)
          yield* traces("during", 5)
          yield* write(`"abc"`)
          yield* errorLogged
          expect((yield* Reconfigure.current).samplingRatio).toBe(1)
          yield* traces("still", 5)
        }),
        capture
      )
      expect(rootsOf("before")).toHaveLength(0)
      expect(rootsOf("during")).toHaveLength(5)
      expect(rootsOf("still")).toHaveLength(5)
      expect(lines.map((line) => line.message)).toContain("tracing.samplingRatio changed from 0 to 1")
      const errors = lines.filter((line) => line.level === "ERROR")
      expect(errors).toHaveLength(1)
      expect(errors[0]!.message).toContain(`tracing.samplingRatio: Expected a number between 0 and 1, got a string`)
      expect(errors[0]!.message).toContain("The running config stays as it was.")
    }))
})
