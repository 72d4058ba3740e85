/**
 * Hot reconfiguration from a watched config file on the Effect 4 line, observed from outside: a
 * real YAML file on disk is edited while the program runs, and the spans the real receiver gets
 * change (sampling ratio, export switched off); an invalid edit is logged naming the field, the
 * running config stays, and no secret of the file is ever printed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { Observability, Reconfigure, TestLogger } from "../src/index.js"

const CANARY = "CANARY-e4cfg-watch-29af"

let receiver: OtlpReceiver.Receiver
let dir: string
beforeAll(async () => {
  receiver = await OtlpReceiver.start({ host: "127.0.0.1" })
  dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-e4-watch-"))
})
afterAll(async () => {
  await receiver.stop()
  await Fs.rm(dir, { recursive: true })
})
beforeEach(() => receiver.reset())

/** The watched file: traces to the receiver with `tracing` over the defaults, metrics off, a secret header. */
const yamlWith = (tracing: Record<string, string>) =>
  [
    "observability:",
    "  tracing:",
    `    endpoint: http://${receiver.endpoint}`,
    "    batch_timeout: 20ms",
    "    headers:",
    `      x-api-key: ${CANARY}`,
    ...Object.entries(tracing).map(([key, value]) => `    ${key}: ${value}`),
    "  metrics:",
    "    enabled: false",
    ""
  ].join("\n")

/** Writes the file the way an editor does: a new file renamed over the old one. */
const edit = (file: string, text: string) =>
  Effect.promise(async () => {
    await Fs.writeFile(`${file}.tmp`, text)
    await Fs.rename(`${file}.tmp`, file)
  })

/** `count` traces, each a root with one child, named `<phase>-<i>`. */
const traces = (phase: string, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
    Effect.void.pipe(Effect.withSpan(`${phase}-child`), Effect.withSpan(`${phase}-${i}`)), { discard: true })

const rootsOf = (phase: string) =>
  receiver.spans().filter((span) => span.name.startsWith(`${phase}-`) && span.parentSpanId === undefined)

/** Polls `check` until it holds (bounded: fails after `timeout`). */
const until = <A, R>(check: Effect.Effect<A, never, R>, done: (value: A) => boolean, timeout: Duration.Input = "10 seconds") =>
  check.pipe(Effect.repeat({ until: done, schedule: Schedule.spaced("50 millis") }), Effect.timeout(timeout))

const printedEverything = (lines: ReadonlyArray<TestLogger.LogLine>) =>
  lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.annotations)}`).join("\n")

describe("a watched config file (Effect 4)", () => {
  it.live("a sampling-ratio edit applies without a restart; an invalid edit is logged naming the field and changes nothing", () => {
    const capture = TestLogger.make()
    return Effect.gen(function*() {
      const file = Path.join(dir, "ratio.yaml")
      yield* edit(file, yamlWith({ sampling_ratio: "0" }))
      const program = Effect.gen(function*() {
        yield* traces("before", 5)
        yield* edit(file, yamlWith({ sampling_ratio: "1" }))
        yield* until(Reconfigure.current, (settings) => settings.samplingRatio === 1)
        yield* traces("during", 5)
        yield* until(Effect.sync(() => rootsOf("during").length), (n) => n === 5)
        // Invalid: a ratio that is not a number, and a field that does not exist.
        yield* edit(file, yamlWith({ sampling_ratio: `"${CANARY}"`, sampling_rate: "0" }))
        yield* until(Effect.sync(() => capture.lines.some((line) => line.level === "ERROR")), (logged) => logged)
        expect((yield* Reconfigure.current).samplingRatio).toBe(1)
        yield* traces("still", 5)
        // A field that needs a restart: said once, the running values stay.
        yield* edit(file, yamlWith({ sampling_ratio: "1" }).replace("batch_timeout: 20ms", "batch_timeout: 2s"))
        yield* until(Effect.sync(() => capture.lines.some((line) => line.message.includes("take effect at the next start"))), (said) => said)
      })
      yield* program.pipe(
        Effect.provide(Layer.provideMerge(Observability.layer({ file, watch: true, variables: {} }), capture.layer)),
        Effect.scoped
      )
      expect(rootsOf("before")).toHaveLength(0)
      expect(rootsOf("during")).toHaveLength(5)
      expect(rootsOf("still")).toHaveLength(5)
      const messages = capture.lines.map((line) => line.message)
      expect(messages).toContain("tracing.samplingRatio changed from 0 to 1")
      const errors = capture.lines.filter((line) => line.level === "ERROR")
      expect(errors, printedEverything(capture.lines)).toHaveLength(1)
      expect(errors[0]!.message).toContain(`Invalid observability config (${file})`)
      expect(errors[0]!.message).toContain("tracing.samplingRatio: Expected a number between 0 and 1, got a string")
      expect(errors[0]!.message).toContain("tracing.samplingRate: unknown field")
      expect(errors[0]!.message).toContain("The running config stays as it was.")
      expect(errors[0]!.annotations["component"]).toBe("observability")
      expect(messages).toContain(`${file}: tracing.batchTimeout changed; these take effect at the next start`)
      expect(printedEverything(capture.lines)).not.toContain(CANARY)
    })
  })

  it.live("OBSERVABILITY_CONFIG_WATCH=true with OBSERVABILITY_CONFIG_FILE: switching tracing off in the file stops export, on again resumes", () => {
    const capture = TestLogger.make()
    return Effect.gen(function*() {
      const file = Path.join(dir, "switch.yaml")
      yield* edit(file, yamlWith({ enabled: "true" }))
      const variables = { OBSERVABILITY_CONFIG_FILE: file, OBSERVABILITY_CONFIG_WATCH: "true" }
      const program = Effect.gen(function*() {
        yield* traces("on", 3)
        yield* until(Effect.sync(() => rootsOf("on").length), (n) => n === 3)
        yield* edit(file, yamlWith({ enabled: "false" }))
        yield* until(Reconfigure.current, (settings) => !settings.tracingExport)
        yield* traces("off", 3)
        yield* edit(file, yamlWith({ enabled: "true" }))
        yield* until(Reconfigure.current, (settings) => settings.tracingExport)
        yield* traces("again", 3)
        yield* until(Effect.sync(() => rootsOf("again").length), (n) => n === 3)
      })
      yield* program.pipe(
        Effect.provide(Layer.provideMerge(Observability.layer({ variables }), capture.layer)),
        Effect.scoped
      )
      expect(rootsOf("on")).toHaveLength(3)
      expect(rootsOf("off")).toHaveLength(0)
      expect(rootsOf("again")).toHaveLength(3)
      const messages = capture.lines.map((line) => line.message)
      expect(messages).toEqual(expect.arrayContaining(["tracing.enabled changed from true to false", "tracing.enabled changed from false to true"]))
      expect(printedEverything(capture.lines)).not.toContain(CANARY)
    })
  })

  it.live("without watch, an edit changes nothing", () =>
    Effect.gen(function*() {
      const file = Path.join(dir, "unwatched.yaml")
      yield* edit(file, yamlWith({ sampling_ratio: "0" }))
      const program = Effect.gen(function*() {
        yield* edit(file, yamlWith({ sampling_ratio: "1" }))
        // Long enough for several polls of a watcher, had one been started.
        yield* Effect.sleep("1500 millis")
        expect((yield* Reconfigure.current).samplingRatio).toBe(0)
      })
      yield* program.pipe(Effect.provide(Observability.layer({ file, variables: {} })), Effect.scoped)
    }))
})
