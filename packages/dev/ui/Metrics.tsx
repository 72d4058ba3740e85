/**
 * Metrics: every metric by name, one series per service instance and attribute set; counters as
 * their increase per interval, other sums and gauges as sent, histograms as count per interval and
 * percentile estimates (all computed by the server, src/internal/series.ts); a health panel with the toolkit's own `lingo_obs.*`
 * self-metrics and the dev store's fill and evictions.
 */
import { useMemo, useState } from "preact/hooks"
import { type Api, useFetch } from "./api.js"
import { Chart, type Line } from "./Chart.js"
import { ErrorBanner, NotFound, ServiceChip } from "./common.js"
import * as Format from "./format.js"

const SELF_PREFIX = "lingo_obs."
const MAX_SERIES = 12

const attributesText = (attributes: Api.Attributes): string => {
  const entries = Object.entries(attributes)
  return entries.length === 0 ? "(no attributes)" : entries.map(([key, value]) => `${key}=${Format.value(value)}`).join(", ")
}

const metricLink = (name: string) => `#/metrics/${encodeURIComponent(name)}`

/** Who sent a series: the service, and its instance so restarts and replicas can be told apart. */
const Producer = (props: { series: { service: string; instance?: string } }) => (
  <>
    <ServiceChip service={props.series.service} />
    {props.series.instance === undefined ? null : (
      <span class="instance" data-testid="series-instance" title="service.instance.id">instance {props.series.instance}</span>
    )}
  </>
)

const Health = (props: { stats: Api.Stats | undefined; metrics: ReadonlyArray<Api.MetricInfo> }) => {
  const own = props.metrics.filter((metric) => metric.name.startsWith(SELF_PREFIX))
  const { stats } = props
  return (
    <section class="health" data-testid="health-panel">
      <h3>Health</h3>
      {stats === undefined ? null : (
        <table class="store-stats" data-testid="store-stats">
          <thead><tr><th>store</th><th class="num">held</th><th class="num">capacity</th><th class="num">evicted</th><th class="num">received</th></tr></thead>
          <tbody>
            {(["spans", "logs", "metricPoints"] as const).map((kind) => (
              <tr key={kind}>
                <th>{kind === "metricPoints" ? "metric points" : kind === "logs" ? "log records" : "spans"}</th>
                <td class="num">{stats.held[kind]}</td>
                <td class="num">{stats.capacity[kind]}</td>
                <td class={`num${stats.evicted[kind] > 0 ? " warn" : ""}`} data-testid={`evicted-${kind}`}>{stats.evicted[kind]}</td>
                <td class="num">{stats.received[kind]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>The toolkit's self-metrics ({SELF_PREFIX}*)</h4>
      {own.length === 0 ? (
        <p class="muted">None received yet: services using the toolkit export them with their metrics (queue, drops, export failures).</p>
      ) : (
        <table class="self-metrics" data-testid="self-metrics">
          <tbody>
            {own.flatMap((metric) =>
              metric.series.map((series) => (
                <tr key={`${metric.name}${series.key}`} data-testid="self-metric-row" data-metric-name={metric.name}>
                  <td><a href={metricLink(metric.name)}>{metric.name}</a></td>
                  <td><Producer series={series} /></td>
                  <td class="muted">{attributesText(series.attributes)}</td>
                  <td class="num">{series.last ?? ""}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      )}
    </section>
  )
}

const SeriesCharts = (props: { info: Api.MetricInfo; series: Api.SeriesData }) => {
  const { info, series } = props
  const colour = Format.serviceColour(series.service)
  const charts = useMemo((): Array<{ title: string; lines: Array<Line>; unit?: string }> => {
    if (series.values !== undefined) {
      if (series.perInterval === true) {
        return [{ title: `${info.name} — increase per interval`, lines: [{ label: "increase", values: series.values, colour }], unit: info.unit }]
      }
      const kind = info.type === "gauge" ? "gauge" : info.monotonic ? "counter (delta per interval)" : "sum"
      return [{ title: `${info.name} — ${kind}`, lines: [{ label: "value", values: series.values, colour }], unit: info.unit }]
    }
    const mean = (series.sums ?? []).map((sum, index) => {
      const count = series.counts?.[index] ?? 0
      return count > 0 ? sum / count : null
    })
    return [
      { title: `${info.name} — count per interval`, lines: [{ label: "count", values: series.counts ?? [], colour }] },
      {
        title: `${info.name} — percentile estimates`,
        unit: info.unit,
        lines: [
          { label: "p50", values: series.p50 ?? [], colour: "#2b8a3e" },
          { label: "p95", values: series.p95 ?? [], colour: "#e8590c" },
          { label: "p99", values: series.p99 ?? [], colour: "#c92a2a" },
          { label: "mean (sum/count)", values: mean, colour: "#868e96" }
        ]
      }
    ]
  }, [series, info])
  const lastIndex = series.times.length - 1
  return (
    <div class="series" data-testid="metric-series" data-series-key={series.key}>
      <p>
        <Producer series={series} /> <span class="muted" data-testid="series-attributes">{attributesText(series.attributes)}</span>
        {series.values !== undefined && lastIndex >= 0 ? (
          <span class="muted" data-testid="series-last">
            {" "}· last {series.perInterval === true ? "interval's increase" : "value"}: {series.values[lastIndex] ?? "—"}
          </span>
        ) : null}
        {series.counts !== undefined && lastIndex >= 0 ? (
          <span class="muted" data-testid="series-last-interval">
            {" "}· last interval: count {series.counts[lastIndex]}, sum {Format.number(series.sums?.[lastIndex] ?? 0)}
            {(["p50", "p95", "p99"] as const).map((name) => {
              const estimate = series[name]?.[lastIndex]
              return estimate === null || estimate === undefined ? null : `, ${name} ${Format.number(estimate)}`
            })}
          </span>
        ) : null}
      </p>
      {charts.map((chart) => (
        <Chart key={chart.title} title={chart.title} times={series.times} lines={chart.lines} testId="metric-chart" {...(chart.unit === undefined ? {} : { unit: chart.unit })} />
      ))}
    </div>
  )
}

const MetricDetail = (props: { name: string }) => {
  const { data, error, notFound } = useFetch<Api.MetricDetail>(`/api/metrics/${encodeURIComponent(props.name)}`)
  if (notFound) return <NotFound what={`No metric ${props.name} in the store: never received, or evicted.`} />
  if (data === undefined) return <section class="metric-detail"><ErrorBanner error={error} /></section>
  const { info } = data
  return (
    <section class="metric-detail" data-testid="metric-detail" data-metric-name={info.name}>
      <h2>{info.name}</h2>
      <p class="muted">{info.type}{info.unit === "" ? "" : ` · ${info.unit}`}{info.description === "" ? "" : ` · ${info.description}`} · {data.series.length} series (one per instance and attribute set)</p>
      {data.series.slice(0, MAX_SERIES).map((series) => <SeriesCharts key={series.key} info={info} series={series} />)}
      {data.series.length > MAX_SERIES ? <p class="muted">{data.series.length - MAX_SERIES} more series not drawn.</p> : null}
    </section>
  )
}

export const Metrics = (props: { name: string | undefined; stats: Api.Stats | undefined }) => {
  const { data: metrics, error } = useFetch<Array<Api.MetricInfo>>("/api/metrics")
  const [search, setSearch] = useState("")
  const shown = (metrics ?? []).filter((metric) => metric.name.toLowerCase().includes(search.toLowerCase()))
  return (
    <section class="metrics-view" data-testid="metrics-view">
      <nav class="metric-list" data-testid="metric-list">
        <input data-testid="metric-search" placeholder="filter metrics" value={search} onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
        <a href="#/metrics" class={props.name === undefined ? "active" : ""} data-testid="health-link">Health</a>
        {shown.map((metric) => (
          <a
            key={metric.name}
            href={metricLink(metric.name)}
            class={metric.name === props.name ? "active" : ""}
            data-testid="metric-item"
            data-metric-name={metric.name}
          >
            <span>{metric.name}</span>
            <span class="muted"> {metric.type} · {metric.series.length}</span>
          </a>
        ))}
        {metrics !== undefined && metrics.length === 0 ? <p class="muted">No metrics yet.</p> : null}
      </nav>
      <div class="metric-main">
        <ErrorBanner error={error} />
        {props.name === undefined ? <Health stats={props.stats} metrics={metrics ?? []} /> : <MetricDetail name={props.name} />}
      </div>
    </section>
  )
}
