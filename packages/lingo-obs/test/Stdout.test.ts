/**
 * The stdout exporter on the Effect 4 line: a real service in a child process with every signal
 * on stdout prints its spans, metrics and log records as JSON lines (the Effect 3 line's lines,
 * from the engine's one encoder), flushed on SIGTERM, with the resource in full once at start
 * (`stdoutResource: once`, the default) or on each record (`each`).
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Observability, Reconfigure } from "../src/index.js"
import { exited, waitForOutput } from "./support/childProcess.js"

const HERE = Path.dirname(fileURLToPath(import.meta.url))
const ROOT = Path.resolve(HERE, "../../..")

type Line = Record<string, any>

/** The stdout service of each line: the same program on Effect 4 (`lingo-obs`) and on Effect 3 (`@lingo-obs/observability`). */
const SERVICES = {
  effect4: Path.join(HERE, "fixtures/stdoutService.ts"),
  effect3: Path.join(ROOT, "packages/observability/test/fixtures/stdoutService.ts")
}

/** Runs a stdout service until it is ready, stops it with SIGTERM, and returns its stdout's JSON lines. */
const runService = async (environment: Record<string, string>, service: string = SERVICES.effect4) => {
  const child = spawn(process.execPath, ["--conditions=@lingo-obs/source", "--import", "tsx", service], {
    cwd: ROOT,
    env: { PATH: process.env["PATH"], ...environment },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk: Buffer) => void (stdout += chunk.toString()))
  child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
  // For failure messages: the program's own lines and stderr (the JSON lines are many).
  const output = () => `${stdout.split("\n").filter((line) => !line.startsWith("{")).join("\n")}\n--- stderr ---\n${stderr}`
  try {
    await waitForOutput(child, output, (text) => text.includes("service ready"), 60_000)
    const signalledAt = Date.now()
    child.kill("SIGTERM")
    const exit = await exited(child)
    const elapsedMillis = Date.now() - signalledAt
    // The program's own log lines (Effect's logfmt) are text; the exporter's lines are JSON objects.
    const lines = stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Line)
    return { lines, exit, elapsedMillis, output: output() }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
}

const configFile = (config: unknown) => {
  const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-e4-stdout-")), "observability.json")
  Fs.writeFileSync(file, JSON.stringify(config))
  return file
}

const isSpan = (line: Line) => "spanId" in line && "kind" in line
const isMetric = (line: Line) => "points" in line
const isLogRecord = (line: Line) => "severityText" in line

/** The keys of each kind of line, as the Effect 3 line prints them. */
const SPAN_KEYS = [
  "attributes", "durationMicros", "events", "kind", "links", "name", "parentSpanId", "resource", "scope", "spanId",
  "startTimeUnixMicros", "status", "traceId"
]
const METRIC_KEYS = ["description", "name", "points", "resource", "scope", "type", "unit"]
const LOG_KEYS = [
  "attributes", "body", "resource", "scope", "severityNumber", "severityText", "spanId", "timeUnixMicros", "traceFlags", "traceId"
]

/** Checks the service's spans, metric and log record, and returns them. */
const checkSignals = (lines: ReadonlyArray<Line>, output: string) => {
  const spans = lines.filter(isSpan)
  const parent = spans.find((span) => span["name"] === "place-order")
  const child = spans.find((span) => span["name"] === "charge-card")
  expect(parent, output).toBeDefined()
  expect(child, output).toBeDefined()
  // JSON.stringify leaves out an undefined parent, as the Effect 3 line's lines do.
  expect(Object.keys(parent!).sort()).toEqual(SPAN_KEYS.filter((key) => key !== "parentSpanId"))
  expect(Object.keys(child!).sort()).toEqual(SPAN_KEYS)
  expect(child).toMatchObject({
    traceId: parent!["traceId"],
    parentSpanId: parent!["spanId"],
    kind: "internal",
    // A span whose effect succeeded is OK, as on the Effect 3 line.
    status: { code: "ok" },
    attributes: { "payment.method": "card" },
    scope: "stdout-svc"
  })
  expect(parent!["traceId"]).toMatch(/^[0-9a-f]{32}$/)
  expect(parent!["spanId"]).toMatch(/^[0-9a-f]{16}$/)
  // The child slept 10 ms inside the parent.
  expect(child!["durationMicros"]).toBeGreaterThanOrEqual(9_000)
  expect(parent!["durationMicros"]).toBeGreaterThanOrEqual(child!["durationMicros"])
  expect(child!["startTimeUnixMicros"]).toBeGreaterThanOrEqual(parent!["startTimeUnixMicros"])
  expect(Math.abs(parent!["startTimeUnixMicros"] - Date.now() * 1000)).toBeLessThan(120_000_000)

  const orders = lines.filter(isMetric).filter((metric) => metric["name"] === "orders_total")
  // The collection at shutdown (the interval is an hour): one line for the counter.
  expect(orders, output).toHaveLength(1)
  expect(Object.keys(orders[0]!).sort()).toEqual(METRIC_KEYS)
  expect(orders[0]).toMatchObject({ type: "sum", unit: "1", points: [{ value: 3 }] })
  // OpenTelemetry-API and runtime metrics reach the same exporter.
  expect(lines.filter(isMetric).map((metric) => metric["name"])).toContain("process.memory.usage")

  const records = lines.filter(isLogRecord).filter((record) => record["body"] === "order placed")
  expect(records, output).toHaveLength(1)
  expect(Object.keys(records[0]!).sort()).toEqual(LOG_KEYS)
  expect(records[0]).toMatchObject({
    severityText: "INFO",
    severityNumber: 9,
    traceId: parent!["traceId"],
    spanId: parent!["spanId"],
    traceFlags: "01",
    attributes: { "order.id": "o-1" },
    scope: "@lingo-obs/logs"
  })
  return { parent: parent!, orders: orders[0]!, record: records[0]! }
}

/** Every signal on stdout, only the shutdown flush printing them. */
const ON_STDOUT = {
  OTEL_SERVICE_NAME: "stdout-svc",
  OTEL_RESOURCE_ATTRIBUTES: "deployment.region=eu",
  OTEL_TRACES_EXPORTER: "console",
  OTEL_METRICS_EXPORTER: "console",
  OTEL_LOGS_EXPORTER: "console",
  OTEL_BSP_SCHEDULE_DELAY: "60000",
  OTEL_BLRP_SCHEDULE_DELAY: "60000",
  OTEL_METRIC_EXPORT_INTERVAL: "3600000"
}

describe("the stdout exporter in a service (Effect 4)", () => {
  it("every signal from OTEL_*_EXPORTER=console: the full resource once, first; then records with service.name only; flushed on SIGTERM", async () => {
    const { lines, exit, elapsedMillis, output } = await runService(ON_STDOUT)
    // runMain ends an interrupted program with its own exit code, not by the signal.
    expect(exit.signal, output).toBeNull()
    expect(elapsedMillis).toBeLessThan(8_000)
    const resourceLines = lines.filter((line) => Object.keys(line).join() === "resource")
    expect(resourceLines, output).toHaveLength(1)
    expect(lines[0]).toBe(resourceLines[0])
    expect(resourceLines[0]!["resource"]).toMatchObject({
      "service.name": "stdout-svc",
      "service.instance.id": expect.any(String),
      "deployment.region": "eu",
      "telemetry.sdk.language": "nodejs"
    })
    const { orders, parent, record } = checkSignals(lines, output)
    for (const line of [parent, orders, record]) expect(line["resource"]).toEqual({ "service.name": "stdout-svc" })
  }, 90_000)

  it("stdoutResource: each (config file): no start line, the full resource on every record", async () => {
    const stdout = { exporter: "stdout", stdoutResource: "each" }
    const { lines, exit, output } = await runService({
      OBSERVABILITY_CONFIG_FILE: configFile({
        service: { name: "stdout-svc", version: "2.0.1" },
        globalAttributes: { "deployment.region": "eu" },
        tracing: { ...stdout, batchTimeout: "60s" },
        metrics: { ...stdout, interval: "1h" },
        logs: { ...stdout, enabled: true, batchTimeout: "60s" }
      })
    })
    expect(exit.signal, output).toBeNull()
    expect(lines.filter((line) => Object.keys(line).join() === "resource"), output).toEqual([])
    const { orders, parent, record } = checkSignals(lines, output)
    for (const line of [parent, orders, record]) {
      expect(line["resource"]).toMatchObject({
        "service.name": "stdout-svc",
        "service.version": "2.0.1",
        "service.instance.id": expect.any(String),
        "deployment.region": "eu"
      })
    }
    // Every record of the process carries the same resource.
    expect(new Set(lines.map((line) => JSON.stringify(line["resource"]))).size).toBe(1)
  }, 90_000)
})

/**
 * A line with what differs from run to run left out: ids, times, the resource's values (its keys
 * stay), and the fiber id of Effect's log events (Effect 3 writes `"#1"`, Effect 4 the number).
 */
const comparable = (line: Line | undefined): unknown =>
  JSON.parse(JSON.stringify(line, (key, value: unknown) => {
    if (key === "traceId" || key === "spanId" || key === "parentSpanId") return `(${key})`
    if (key.endsWith("Micros")) return "(micros)"
    if (key === "effect.fiberId") return "(fiber)"
    if (key === "resource") return Object.keys(value as object).sort()
    return value
  }))

describe("the same lines as the Effect 3 line", () => {
  it("the same program on each line with every signal on stdout prints the same resource line and the same span, metric and log lines", async () => {
    const effect4 = await runService(ON_STDOUT, SERVICES.effect4)
    const effect3 = await runService(ON_STDOUT, SERVICES.effect3)
    // The same checks hold on both lines...
    const four = checkSignals(effect4.lines, effect4.output)
    const three = checkSignals(effect3.lines, effect3.output)
    // ...and the lines are the same but for ids, times and per-process resource values.
    expect(comparable(effect4.lines[0])).toEqual(comparable(effect3.lines[0]))
    const child = (lines: ReadonlyArray<Line>) => lines.find((line) => isSpan(line) && line["name"] === "charge-card")
    expect(comparable(child(effect4.lines))).toEqual(comparable(child(effect3.lines)))
    expect(comparable(four.parent)).toEqual(comparable(three.parent))
    expect(comparable(four.orders)).toEqual(comparable(three.orders))
    expect(comparable(four.record)).toEqual(comparable(three.record))
    // The same runtime metrics. (Effect 3's registry adds its own effect_fiber_* metrics, and which
    // lingo_obs.exporter.* counters exist at the final collection depends on which signal flushed
    // first, so those are not compared; v8js.gc.duration has a point only once a collection has run
    // in that process, so it is compared only when both processes had one.)
    const GC_DURATION = "v8js.gc.duration"
    const gcRanInBoth = [effect3.lines, effect4.lines].every((lines) =>
      lines.some((line) => isMetric(line) && line["name"] === GC_DURATION)
    )
    const runtimeMetrics = (lines: ReadonlyArray<Line>) =>
      lines.filter((line) =>
        isMetric(line) && line["scope"] === "@lingo-obs/metrics/RuntimeMetrics" && (gcRanInBoth || line["name"] !== GC_DURATION)
      ).map(comparable)
    expect(runtimeMetrics(effect4.lines).length).toBeGreaterThan(5)
    expect(runtimeMetrics(effect4.lines).map((line: any) => [line.name, line.unit, line.type])).toEqual(
      runtimeMetrics(effect3.lines).map((line: any) => [line.name, line.unit, line.type])
    )
  }, 120_000)
})

/** Runs `self` with this process's stdout captured: the JSON lines written meanwhile. */
const capturingStdout = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const written: Array<string> = []
      const write = process.stdout.write
      process.stdout.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stdout.write
      return { written, write }
    }),
    ({ written }) =>
      Effect.map(self, () => written.join("").split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Line)),
    ({ write }) => Effect.sync(() => void (process.stdout.write = write))
  )

describe("Reconfigure with the stdout exporter (Effect 4)", () => {
  it.live("a span ended while sampling is 0 or export is off is not printed; the others are, at the layer's close", () =>
    Effect.gen(function*() {
      const lines = yield* capturingStdout(
        Effect.gen(function*() {
          yield* Reconfigure.setSamplingRatio(0)
          yield* Effect.void.pipe(Effect.withSpan("unsampled"))
          yield* Reconfigure.setSamplingRatio(1)
          yield* Reconfigure.setExporting("tracing", false)
          yield* Effect.void.pipe(Effect.withSpan("unexported"))
          yield* Reconfigure.setExporting("tracing", true)
          yield* Effect.void.pipe(Effect.withSpan("exported"))
        }).pipe(Effect.provide(Observability.layer({
          service: { name: "stdout-reconfigure" },
          config: { tracing: { exporter: "stdout", batchTimeout: "60s" }, metrics: { enabled: false } },
          variables: {}
        })))
      )
      expect(lines[0]!["resource"]).toMatchObject({ "service.name": "stdout-reconfigure" })
      expect(lines.filter(isSpan).map((span) => span["name"])).toEqual(["exported"])
    }))
})
