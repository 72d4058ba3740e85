/** The trace list: filters, live rows, keyboard navigation (j/k or arrows, Enter opens, / filters). */
import { useEffect, useRef, useState } from "preact/hooks"
import { type Api, query, useFetch } from "./api.js"
import { CopyLink, ErrorBanner, ServiceChip } from "./common.js"
import * as Format from "./format.js"

export interface Filters {
  service: string
  name: string
  minDurationMs: string
  errors: boolean
  attribute: string
  traceId: string
}

export const emptyFilters: Filters = { service: "", name: "", minDurationMs: "", errors: false, attribute: "", traceId: "" }

/** Whether any filter narrows the list: an empty list then means "nothing matches", not "nothing yet". */
const filtering = (filters: Filters): boolean =>
  filters.errors || [filters.service, filters.name, filters.minDurationMs, filters.attribute, filters.traceId].some((value) => value.trim() !== "")

export const TraceList = (props: { filters: Filters; setFilters: (filters: Filters) => void; services: ReadonlyArray<string> }) => {
  const { filters, setFilters } = props
  const path = `/api/traces${query({ ...filters, errors: filters.errors ? 1 : undefined })}`
  const { data: traces, error } = useFetch<Array<Api.TraceSummary>>(path)
  const [selected, setSelected] = useState(0)
  const nameInput = useRef<HTMLInputElement>(null)
  const rows = traces ?? []

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement
      if (target.tagName === "INPUT" || target.tagName === "SELECT") {
        if (event.key === "Escape") target.blur()
        return
      }
      if (event.key === "j" || event.key === "ArrowDown") setSelected((index) => Math.min(index + 1, rows.length - 1))
      else if (event.key === "k" || event.key === "ArrowUp") setSelected((index) => Math.max(index - 1, 0))
      else if (event.key === "Enter" && rows[selected] !== undefined) location.hash = Format.traceLink(rows[selected]!.traceId)
      else if (event.key === "/") nameInput.current?.focus()
      else return
      event.preventDefault()
    }
    window.addEventListener("keydown", onKey)
    return () => window.removeEventListener("keydown", onKey)
  }, [rows, selected])

  useEffect(() => {
    document.querySelector(`[data-testid="trace-row"][aria-selected="true"]`)?.scrollIntoView({ block: "nearest" })
  }, [selected])

  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => {
    setSelected(0)
    setFilters({ ...filters, [key]: value })
  }
  const text = (key: "name" | "minDurationMs" | "attribute" | "traceId") => (event: Event) =>
    set(key, (event.target as HTMLInputElement).value)

  return (
    <section class="trace-list">
      <form class="filters" data-testid="trace-filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          service
          <select data-testid="filter-service" value={filters.service} onChange={(event) => set("service", (event.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {props.services.map((service) => <option key={service} value={service}>{service}</option>)}
          </select>
        </label>
        <label>
          name
          <input ref={nameInput} data-testid="filter-name" placeholder="any span name  ( / )" value={filters.name} onInput={text("name")} />
        </label>
        <label>
          min duration (ms)
          <input data-testid="filter-min-duration" inputMode="decimal" size={6} value={filters.minDurationMs} onInput={text("minDurationMs")} />
        </label>
        <label>
          attribute
          <input data-testid="filter-attribute" placeholder="key=value" value={filters.attribute} onInput={text("attribute")} />
        </label>
        <label>
          trace id
          <input data-testid="filter-trace-id" placeholder="prefix" value={filters.traceId} onInput={text("traceId")} />
        </label>
        <label class="checkbox">
          <input type="checkbox" data-testid="filter-errors" checked={filters.errors} onChange={(event) => set("errors", (event.target as HTMLInputElement).checked)} />
          errors only
        </label>
      </form>
      <ErrorBanner error={error} />
      <table class="traces" data-testid="trace-list">
        <thead>
          <tr>
            <th>root</th>
            <th>services</th>
            <th>start</th>
            <th class="num">duration</th>
            <th class="num">spans</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((trace, index) => (
            <tr
              key={trace.traceId}
              data-testid="trace-row"
              data-trace-id={trace.traceId}
              aria-selected={index === selected}
              class={index === selected ? "selected" : ""}
              onClick={() => (location.hash = Format.traceLink(trace.traceId))}
            >
              <td>
                {trace.errorCount > 0 ? <span class="error-mark" data-testid="trace-error" title={`${trace.errorCount} span(s) with status error`}>!</span> : null}
                <span data-testid="trace-root-name">{trace.rootName}</span>
                <div class="trace-id">{trace.traceId}</div>
              </td>
              <td>{trace.services.map((service) => <ServiceChip key={service} service={service} />)}</td>
              <td>{Format.dateTime(trace.start)}</td>
              <td class="num">{Format.duration(trace.durationMs)}</td>
              <td class="num" data-testid="trace-span-count">
                {trace.spanCount}
                {trace.orphanCount > 0 ? <span class="muted" title="spans whose parent has not arrived"> ({trace.orphanCount} orphan)</span> : null}
              </td>
              <td><CopyLink hash={Format.traceLink(trace.traceId)} testId="copy-trace-link" /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {traces === undefined || rows.length > 0 ? null : filtering(filters) ? (
        <p class="muted" data-testid="trace-list-no-match">
          No traces match the filter. <a href="#/traces" onClick={(event) => { event.preventDefault(); setFilters(emptyFilters) }} data-testid="clear-filters">Clear the filter</a>
        </p>
      ) : (
        <p class="muted" data-testid="trace-list-empty">No traces yet. Send some OTLP to 127.0.0.1:4317 (gRPC) or :4318 (HTTP).</p>
      )}
    </section>
  )
}
