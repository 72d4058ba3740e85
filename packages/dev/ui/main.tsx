/** The viewer's shell: hash routes (#/traces, #/traces/:id?span=, #/logs, #/metrics, #/metrics/:name), live updates. */
import "uplot/dist/uPlot.min.css"
import "./style.css"
import { render } from "preact"
import { useEffect, useState } from "preact/hooks"
import { type Api, LiveContext, useFetch, useLiveSource } from "./api.js"
import { NotFound } from "./common.js"
import { Logs } from "./Logs.js"
import { Metrics } from "./Metrics.js"
import { emptyFilters, type Filters, TraceList } from "./TraceList.js"
import { TraceView } from "./TraceView.js"

type Route =
  | { readonly view: "traces" }
  | { readonly view: "trace"; readonly traceId: string; readonly spanId: string | undefined }
  | { readonly view: "logs" }
  | { readonly view: "metrics"; readonly name: string | undefined }
  | { readonly view: "notFound"; readonly hash: string }

/** `decodeURIComponent` that answers `undefined` for a malformed escape instead of throwing. */
const decode = (part: string): string | undefined => {
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined
  }
}

/** The route of a hash; anything it cannot read (unknown path, malformed escape) is not found. */
const parseRoute = (hash: string): Route => {
  const text = hash.replace(/^#/, "")
  const [path = "", search = ""] = text.split("?")
  const parts = path.split("/").filter((part) => part !== "").map(decode)
  const notFound: Route = { view: "notFound", hash: text }
  if (parts.some((part) => part === undefined)) return notFound
  const [view, id, ...rest] = parts as Array<string>
  if (rest.length > 0) return notFound
  if (view === undefined || (view === "traces" && id === undefined)) return { view: "traces" }
  if (view === "traces") {
    const spanId = new URLSearchParams(search).get("span") ?? undefined
    return { view: "trace", traceId: id!, spanId }
  }
  if (view === "logs" && id === undefined) return { view: "logs" }
  if (view === "metrics") return { view: "metrics", name: id }
  return notFound
}

const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash))
    window.addEventListener("hashchange", onChange)
    return () => window.removeEventListener("hashchange", onChange)
  }, [])
  return route
}

const Header = (props: { route: Route; stats: Api.Stats | undefined; connected: boolean }) => {
  const { stats } = props
  const evicted = stats === undefined ? 0 : stats.evicted.spans + stats.evicted.logs + stats.evicted.metricPoints
  const tab = (href: string, label: string, active: boolean, testId: string) => (
    <a href={href} class={active ? "active" : ""} data-testid={testId}>{label}</a>
  )
  return (
    <header class="top">
      <strong class="brand">lingo-obs dev</strong>
      <nav>
        {tab("#/traces", "Traces", props.route.view === "traces" || props.route.view === "trace", "nav-traces")}
        {tab("#/logs", "Logs", props.route.view === "logs", "nav-logs")}
        {tab("#/metrics", "Metrics", props.route.view === "metrics", "nav-metrics")}
      </nav>
      <span class="spacer" />
      {stats === undefined ? null : (
        <span class="muted" data-testid="store-summary">
          {stats.held.traces} traces · {stats.held.spans}/{stats.capacity.spans} spans · {stats.held.logs} logs · {stats.held.metricPoints} points
          {evicted > 0 ? <span class="warn" title="oldest items dropped to stay within capacity"> · {evicted} evicted</span> : null}
        </span>
      )}
      <span class={`live ${props.connected ? "on" : "off"}`} data-testid="live-indicator" title={props.connected ? "live updates on" : "reconnecting"}>
        {props.connected ? "live" : "offline"}
      </span>
    </header>
  )
}

const App = () => {
  const live = useLiveSource()
  const route = useRoute()
  const [filters, setFilters] = useState<Filters>(emptyFilters)
  return (
    <LiveContext.Provider value={live}>
      <Shell route={route} filters={filters} setFilters={setFilters} connected={live.connected} />
    </LiveContext.Provider>
  )
}

const Shell = (props: { route: Route; filters: Filters; setFilters: (filters: Filters) => void; connected: boolean }) => {
  const { data: stats } = useFetch<Api.Stats>("/api/stats")
  const { route } = props
  return (
    <>
      <Header route={route} stats={stats} connected={props.connected} />
      <main>
        {route.view === "traces" ? <TraceList filters={props.filters} setFilters={props.setFilters} services={stats?.services ?? []} /> : null}
        {route.view === "trace" ? <TraceView traceId={route.traceId} spanId={route.spanId} /> : null}
        {route.view === "logs" ? <Logs /> : null}
        {route.view === "metrics" ? <Metrics name={route.name} stats={stats} /> : null}
        {route.view === "notFound" ? <NotFound what={`No page at #${route.hash}`} /> : null}
      </main>
    </>
  )
}

render(<App />, document.getElementById("app")!)
