/**
 * `lingo-obs dev` in a real browser: the dev server on the OTLP default ports (4317/4318, viewer on
 * 4319), the two example services started with no endpoint variables, one request with a known
 * traceparent, then Debian's headless Chromium driven by playwright-core finds the trace, checks
 * its waterfall, a span's attributes, the trace's log lines and the request-duration chart.
 * Screenshots of each view go to packages/dev/.artifacts/ (LINGO_OBS_SCREENSHOTS to change).
 *
 * This is the only test allowed to bind the fixed OTLP ports. It fails, never skips, when
 * Chromium is missing: `apt-get install -y chromium` (CI does so in .ci/run).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildUi } from "../scripts/buildUi.js"
import { ROOT, type Running, startScript } from "./support/processes.js"

const CHROMIUM = "/usr/bin/chromium"
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

const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false })

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

describe("lingo-obs dev in Chromium", () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get update && apt-get install -y chromium)`)
    }
    mkdirSync(ARTIFACTS, { recursive: true })
    await buildUi()
    dev = await startScript("packages/dev/src/bin.ts", [], /viewer on (http:\/\/\S+)/, process.env, register)
    const grpc = await startScript(
      "examples/grpc-service/src/main.ts", [], /listening on (\S+)/, exampleEnv({ GRPC_PORT: "0" }), register
    )
    gateway = await startScript(
      "examples/http-service/src/main.ts", [], /listening on (\S+)/,
      exampleEnv({ HTTP_PORT: "0", GRPC_TARGET: grpc.ready }), register
    )
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
        "--no-first-run"
      ],
      viewport: { width: 1400, height: 820 }
    })
    register(() => context.close())
    page = context.pages()[0] ?? (await context.newPage())
  }, 90_000)

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined)
  }, 30_000)

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
    await page.getByTestId("filter-trace-id").fill("")
    await screenshot("trace-list")

    await page.getByTestId("filter-trace-id").fill(TRACE_ID)
    await row.click()
    await page.locator(`[data-testid="trace-view"][data-trace-id="${TRACE_ID}"]`).waitFor()
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
    await page.getByTestId("health-panel").waitFor()
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
