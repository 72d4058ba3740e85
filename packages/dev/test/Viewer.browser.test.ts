/**
 * `lingo-obs dev` (the CLI's command) in a real browser: the dev server on the OTLP default ports (4317/4318, viewer on
 * 4319), the two example services started with no endpoint variables, one request with a known
 * traceparent, then Debian's headless Chromium driven by playwright-core finds the trace, checks
 * its waterfall, a span's attributes, the trace's log lines and the request-duration chart.
 * Screenshots of each view go to packages/dev/.artifacts/ (LINGO_OBS_SCREENSHOTS to change).
 *
 * A second dev server on free ports, fed OTLP/JSON over HTTP, checks that the numbers and states
 * the viewer shows are true (counter rates, one series per instance, clamped percentiles, empty
 * and no-match states, not-found routes, `__proto__` attributes), and that a page loaded under
 * another host name (DNS rebinding) gets neither the viewer nor the API's data.
 *
 * This is the only test allowed to bind the fixed OTLP ports. It fails, never skips, when
 * Chromium is missing: `apt-get install -y chromium` (CI does so in .ci/run).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Dev } from "@lingo-obs/dev"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildUi } from "../scripts/buildUi.js"
import { ROOT, type Running, startScript } from "./support/processes.js"

const CHROMIUM = "/usr/bin/chromium"
const REBOUND_HOST = "attacker.test"
const ARTIFACTS = process.env["LINGO_OBS_SCREENSHOTS"] ?? join(ROOT, "packages/dev/.artifacts")
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"
/** How soon the trace must show in the browser after the response. */
const VISIBLE_WITHIN_MS = 2_000

/**
 * The examples' environment: the caller's, minus every OTLP endpoint variable (so the services use
 * the spec's defaults, 127.0.0.1:4317), with short export delays so a trace arrives in well under
 * the 5 s batch default, and OTLP log export on.
 */
const exampleEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("OTEL_")) env[key] = value
  }
  return {
    ...env,
    OTEL_BSP_SCHEDULE_DELAY: "200",
    OTEL_BLRP_SCHEDULE_DELAY: "200",
    OTEL_METRIC_EXPORT_INTERVAL: "1000",
    OTEL_LOGS_EXPORTER: "otlp",
    ...extra
  }
}

const cleanups: Array<() => Promise<void>> = []
const register = (cleanup: () => Promise<void>) => cleanups.unshift(cleanup)

let dev: Running
let gateway: Running
let context: BrowserContext
let page: Page

const screenshot = (name: string, on: Page = page) => on.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false })

const rowsOf = (page: Page) =>
  page.locator('[data-testid="waterfall-row"]').evaluateAll((rows) =>
    rows.map((row) => ({
      name: row.querySelector('[data-testid="span-name"]')?.textContent ?? "",
      depth: Number(row.getAttribute("data-depth")),
      service: row.getAttribute("data-service"),
      spanId: row.getAttribute("data-span-id"),
      parentSpanId: row.getAttribute("data-parent-span-id")
    }))
  )

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get update && apt-get install -y chromium)`)
  }
  mkdirSync(ARTIFACTS, { recursive: true })
  await buildUi()
  const userDataDir = mkdtempSync(join(tmpdir(), "lingo-obs-chromium-"))
  register(async () => rmSync(userDataDir, { recursive: true, force: true }))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // What a DNS rebinding attack achieves: a name the attacker controls now points at loopback.
      `--host-resolver-rules=MAP ${REBOUND_HOST} 127.0.0.1`
    ],
    viewport: { width: 1400, height: 820 }
  })
  register(() => context.close())
}, 120_000)

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined)
}, 30_000)

describe("lingo-obs dev in Chromium", () => {
  beforeAll(async () => {
    // The dev server and the gRPC service start side by side: the services retry until it listens.
    const [started, grpc] = await Promise.all([
      startScript("packages/cli/src/bin.ts", ["dev"], /viewer on (http:\/\/\S+)/, process.env, register),
      startScript("examples/grpc-service/src/main.ts", [], /listening on (\S+)/, exampleEnv({ GRPC_PORT: "0" }), register)
    ])
    dev = started
    gateway = await startScript(
      "examples/http-service/src/main.ts", [], /listening on (\S+)/,
      exampleEnv({ HTTP_PORT: "0", GRPC_TARGET: grpc.ready }), register
    )
    page = context.pages()[0] ?? (await context.newPage())
  }, 240_000)

  it("shows the example request's trace within 2 s, its waterfall, attributes, logs and the duration chart", async () => {
    expect(dev.ready).toBe("http://127.0.0.1:4319/")
    await page.goto(dev.ready)
    await page.getByTestId("live-indicator").filter({ hasText: "live" }).waitFor()
    await page.getByTestId("filter-trace-id").fill(TRACE_ID)

    const response = await fetch(`${gateway.ready}/users/2`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } })
    expect(response.status).toBe(200)
    const answered = Date.now()
    const row = page.locator(`[data-testid="trace-row"][data-trace-id="${TRACE_ID}"]`)
    await row.waitFor({ timeout: 10_000 })
    const visibleAfterMs = Date.now() - answered
    expect(visibleAfterMs, "the trace appears in the browser within 2 s").toBeLessThan(VISIBLE_WITHIN_MS)
    console.log(`trace visible in the browser ${visibleAfterMs} ms after the response`)

    // Both services' spans: the gateway's and the gRPC service's batches arrive separately.
    await row.getByTestId("trace-span-count").filter({ hasText: /^5/ }).waitFor({ timeout: 10_000 })
    await expect(row.getByTestId("trace-root-name").textContent()).resolves.toBe("GET /users/:id")
    // A few more requests, one failing in each service, so the list shows errors too.
    for (const path of ["/users/1", "/users/9", "/orders", "/users/3"]) await fetch(`${gateway.ready}${path}`)
    await page.getByTestId("filter-trace-id").fill("")
    await page.getByTestId("trace-row").nth(4).waitFor({ timeout: 10_000 })
    await page.getByTestId("trace-error").nth(1).waitFor({ timeout: 10_000 })
    await screenshot("trace-list")

    await page.getByTestId("filter-trace-id").fill(TRACE_ID)
    await page.locator('[data-testid="trace-row"]').nth(1).waitFor({ state: "detached" })
    await expect(row.getByTestId("copy-trace-link").getAttribute("href")).resolves.toBe(`${dev.ready}#/traces/${TRACE_ID}`)
    // Keyboard: Escape leaves the filter, j/k move the selection, Enter opens the selected trace.
    await page.keyboard.press("Escape")
    await page.keyboard.press("j")
    await page.keyboard.press("k")
    await expect(row.getAttribute("aria-selected")).resolves.toBe("true")
    await page.keyboard.press("Enter")
    await page.locator(`[data-testid="trace-view"][data-trace-id="${TRACE_ID}"]`).waitFor()
    expect(new URL(page.url()).hash).toBe(`#/traces/${TRACE_ID}`)
    const rows = await rowsOf(page)
    expect(rows.map(({ name, depth, service }) => ({ name, depth, service }))).toEqual([
      { name: "GET /users/:id", depth: 0, service: "gateway" },
      { name: "gateway.fetch-user", depth: 1, service: "gateway" },
      { name: "lingo.users.v1.UserService/GetUser", depth: 2, service: "gateway" },
      { name: "lingo.users.v1.UserService/GetUser", depth: 3, service: "users-grpc" },
      { name: "users.find", depth: 4, service: "users-grpc" }
    ])
    // Parent order: each span's parent is the row above; the root's parent is the curl's span.
    expect(rows.map((row) => row.parentSpanId)).toEqual([PARENT_ID, ...rows.slice(0, -1).map((row) => row.spanId)])

    await page.locator('[data-testid="waterfall-row"]', { hasText: "users.find" }).click()
    const detail = page.getByTestId("span-detail")
    await expect(detail.getByTestId("span-detail-name").textContent()).resolves.toBe("users.find")
    const attributes = detail.getByTestId("span-attributes")
    await expect(attributes.locator('[data-key="app.user.id"] td').textContent()).resolves.toBe("2")

    const logBodies = page.getByTestId("trace-log-body")
    await logBodies.filter({ hasText: "found user 2" }).waitFor({ timeout: 10_000 })
    await logBodies.filter({ hasText: "fetching user 2" }).waitFor({ timeout: 10_000 })
    await screenshot("trace-view")

    await page.getByTestId("nav-logs").click()
    await page.getByTestId("logs-search").fill("user 2")
    await page.getByTestId("log-row").first().waitFor()
    await screenshot("logs")

    await page.getByTestId("nav-metrics").click()
    await page.getByTestId("self-metric-row").first().waitFor({ timeout: 15_000 })
    await screenshot("metrics-health")
    const metric = page.locator('[data-testid="metric-item"][data-metric-name="http.server.request.duration"]')
    await metric.waitFor({ timeout: 15_000 })
    await metric.click()
    const detailPanel = page.locator('[data-testid="metric-detail"][data-metric-name="http.server.request.duration"]')
    await detailPanel.waitFor()
    await detailPanel.locator('[data-testid="metric-chart"] canvas').first().waitFor()
    await expect(detailPanel.getByTestId("metric-series").count()).resolves.toBeGreaterThan(0)
    await screenshot("metrics")
  }, 90_000)
})

// ---------------------------------------------------------------------------------------------
// The viewer's numbers and states, on a dev server of its own fed OTLP/JSON over HTTP
// ---------------------------------------------------------------------------------------------

const SECOND_NS = 1_000_000_000n
const START_NS = 1_700_000_000n * SECOND_NS
const TRACE = "5bf92f3577b34da6a3ce929d0e0e4737"
const SPAN = "10f067aa0ba902b7"
/** A value only the stored span holds: it must never reach a rebound page. */
const CANARY = "canary-7f3c1e9a-secret-token"

const text = (key: string, value: string) => ({ key, value: { stringValue: value } })
const nanos = (ns: bigint) => ns.toString()
const resource = (service: string, instance?: string) => ({
  attributes: [text("service.name", service), ...(instance === undefined ? [] : [text("service.instance.id", instance)])]
})

describe("the viewer's numbers and states", () => {
  let local: Dev.Dev
  let viewer: Page
  const pageErrors: Array<string> = []

  const post = async (signal: "traces" | "metrics", body: unknown) => {
    const response = await fetch(`${local.receiver.httpEndpoint}/v1/${signal}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    expect(response.status, `POST /v1/${signal}: ${await response.clone().text()}`).toBe(200)
  }

  /** One export of the `jobs.processed` counter (cumulative since START) by one worker instance. */
  const counterExport = (instance: string, interval: number, total: number) => ({
    resource: resource("worker", instance),
    scopeMetrics: [{
      scope: { name: "test" },
      metrics: [{
        name: "jobs.processed",
        unit: "{job}",
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: [{ startTimeUnixNano: nanos(START_NS), timeUnixNano: nanos(START_NS + BigInt(interval) * SECOND_NS), asInt: String(total) }]
        }
      }]
    }]
  })

  beforeAll(async () => {
    local = await Dev.start({ port: 0, grpcPort: 0, httpPort: 0 })
    register(() => local.stop())
    viewer = await context.newPage()
    viewer.on("pageerror", (error) => pageErrors.push(String(error)))
    register(() => viewer.close())
  }, 60_000)

  it("says 'No traces yet' on an empty store, and 'No traces match the filter' when a filter hides every trace", async () => {
    await viewer.goto(local.url)
    await viewer.getByTestId("trace-list-empty").filter({ hasText: "No traces yet" }).waitFor()

    await post("traces", {
      resourceSpans: [{
        resource: resource("checkout"),
        scopeSpans: [{
          scope: { name: "test" },
          spans: [{
            traceId: TRACE,
            spanId: SPAN,
            name: "POST /checkout",
            kind: 2,
            startTimeUnixNano: nanos(START_NS),
            endTimeUnixNano: nanos(START_NS + SECOND_NS / 10n),
            attributes: [
              text("__proto__", "kept-proto"),
              text("constructor", "kept-constructor"),
              // A list value: the attribute set is then copied on conversion, not shared as sent.
              { key: "tags", value: { arrayValue: { values: [{ stringValue: "a" }] } } },
              text("secret.token", CANARY)
            ],
            status: {}
          }]
        }]
      }]
    })
    const row = viewer.locator(`[data-testid="trace-row"][data-trace-id="${TRACE}"]`)
    await row.waitFor()
    await expect(viewer.getByTestId("trace-list-empty").count()).resolves.toBe(0)

    await viewer.getByTestId("filter-name").fill("no-such-span")
    await viewer.getByTestId("trace-list-no-match").filter({ hasText: "No traces match the filter" }).waitFor()
    await expect(viewer.getByTestId("trace-list-empty").count()).resolves.toBe(0)
    await expect(row.count()).resolves.toBe(0)
    await viewer.getByTestId("clear-filters").click()
    await row.waitFor()
    await expect(viewer.getByTestId("filter-name").inputValue()).resolves.toBe("")
  })

  it("shows attribute keys named __proto__ and constructor like any other", async () => {
    await viewer.goto(`${local.url}#/traces/${TRACE}`)
    const attributes = viewer.getByTestId("span-detail").getByTestId("span-attributes")
    await attributes.waitFor()
    await expect(attributes.locator('[data-key="__proto__"] td').textContent()).resolves.toBe("kept-proto")
    await expect(attributes.locator('[data-key="constructor"] td').textContent()).resolves.toBe("kept-constructor")
    await expect(attributes.locator('[data-key="tags"] td').textContent()).resolves.toBe('["a"]')
  })

  it("draws a counter incremented by 5 per interval as 5 per interval, one series per service.instance.id", async () => {
    // Two replicas of one service: worker-1 counts 5 per interval, worker-2 counts 2.
    for (const interval of [1, 2, 3, 4]) {
      await post("metrics", { resourceMetrics: [counterExport("worker-1", interval, 5 * interval), counterExport("worker-2", interval, 2 * interval)] })
    }
    await viewer.goto(`${local.url}#/metrics/jobs.processed`)
    const detail = viewer.locator('[data-testid="metric-detail"][data-metric-name="jobs.processed"]')
    await detail.waitFor()
    const series = detail.getByTestId("metric-series")
    await expect(series.count()).resolves.toBe(2)
    for (const [instance, increase] of [["worker-1", "5"], ["worker-2", "2"]] as const) {
      const one = series.filter({ has: viewer.getByTestId("series-instance").filter({ hasText: `instance ${instance}` }) })
      await expect(one.count(), instance).resolves.toBe(1)
      await expect(one.getByTestId("series-last").textContent(), instance).resolves.toBe(` · last interval's increase: ${increase}`)
      await expect(one.locator(".u-title").textContent(), instance).resolves.toBe("jobs.processed — increase per interval")
      // Every point, as the chart's legend reads it under the cursor: the increase, never the running total.
      const plot = one.locator(".u-over")
      const box = (await plot.boundingBox())!
      for (let point = 0; point < 4; point++) {
        await plot.hover({ position: { x: Math.min((box.width * point) / 3, box.width - 1), y: box.height / 2 } })
        const legend = one.locator(".u-legend .u-series").nth(1).locator(".u-value")
        await expect.poll(() => legend.textContent(), { message: `${instance} point ${point}`, timeout: 5_000 }).toBe(increase)
      }
    }
    await screenshot("metrics-counter", viewer)
  })

  it("keeps percentile estimates within the histogram's min and max: p50 42 when every value was 42", async () => {
    await post("metrics", {
      resourceMetrics: [{
        resource: resource("worker", "worker-1"),
        scopeMetrics: [{
          scope: { name: "test" },
          metrics: [{
            name: "job.duration",
            unit: "ms",
            histogram: {
              aggregationTemporality: 2,
              dataPoints: [{
                startTimeUnixNano: nanos(START_NS),
                timeUnixNano: nanos(START_NS + SECOND_NS),
                count: "10",
                sum: 420,
                min: 42,
                max: 42,
                bucketCounts: ["0", "0", "0", "0", "10", "0", "0", "0"],
                explicitBounds: [0, 5, 10, 25, 50, 75, 100]
              }]
            }
          }]
        }]
      }]
    })
    await viewer.goto(`${local.url}#/metrics/job.duration`)
    const last = viewer.locator('[data-testid="metric-detail"][data-metric-name="job.duration"]').getByTestId("series-last-interval")
    await last.waitFor()
    await expect(last.textContent()).resolves.toBe(" · last interval: count 10, sum 420, p50 42, p95 42, p99 42")
  })

  it("shows a not-found state for malformed, unknown and absent hash routes, without a page error", async () => {
    for (const [hash, message] of [
      ["#/traces/%E0%A4%A", "No page at #/traces/%E0%A4%A"],
      ["#/%", "No page at #/%"],
      ["#/nowhere", "No page at #/nowhere"],
      ["#/traces/00000000000000000000000000000001", "No trace 00000000000000000000000000000001 in the store"],
      ["#/metrics/no.such.metric", "No metric no.such.metric in the store"]
    ] as const) {
      await viewer.goto(`${local.url}${hash}`)
      await viewer.getByTestId("not-found").filter({ hasText: message }).waitFor()
    }
    // The app still works after them.
    await viewer.goto(`${local.url}#/traces`)
    await viewer.locator(`[data-testid="trace-row"][data-trace-id="${TRACE}"]`).waitFor()
    expect(pageErrors).toEqual([])
  })

  it("refuses the viewer and its API to a page loaded under a host name that is not loopback (DNS rebinding)", async () => {
    const port = new URL(local.url).port
    // The control: the same server under loopback names answers.
    for (const host of ["127.0.0.1", "localhost"]) {
      const response = await viewer.goto(`http://${host}:${port}/api/traces/${TRACE}`)
      expect(response?.status(), host).toBe(200)
    }
    for (const path of [`/api/traces/${TRACE}`, "/api/traces", "/api/stats", "/", "/app.js"]) {
      const response = await viewer.goto(`http://${REBOUND_HOST}:${port}${path}`)
      const body = (await response?.text()) ?? ""
      expect(body, `${path} leaked the stored span`).not.toContain(CANARY)
      expect([403, 421], `${path} answered ${response?.status()}: ${body.slice(0, 200)}`).toContain(response?.status())
    }
    expect(pageErrors).toEqual([])
  })
})
