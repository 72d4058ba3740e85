/** Log records, newest first: search, a minimum severity, and a link to the span that wrote each one. */
import { Fragment } from "preact"
import { useState } from "preact/hooks"
import { type Api, query, useFetch } from "./api.js"
import { AttributeTable, ErrorBanner, ServiceChip } from "./common.js"
import * as Format from "./format.js"

const SEVERITIES = [
  { label: "all", value: "" },
  { label: "debug+", value: "5" },
  { label: "info+", value: "9" },
  { label: "warn+", value: "13" },
  { label: "error+", value: "17" }
]

export const Logs = () => {
  const [search, setSearch] = useState("")
  const [minSeverity, setMinSeverity] = useState("")
  const [open, setOpen] = useState<number | undefined>(undefined)
  const { data: logs, error } = useFetch<Array<Api.LogRecord>>(`/api/logs${query({ q: search, minSeverity })}`)
  return (
    <section class="logs-view" data-testid="logs-view">
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          search
          <input data-testid="logs-search" placeholder="body, attribute, service" value={search} onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
        </label>
        <label>
          severity
          <select data-testid="logs-severity" value={minSeverity} onChange={(event) => setMinSeverity((event.target as HTMLSelectElement).value)}>
            {SEVERITIES.map((severity) => <option key={severity.value} value={severity.value}>{severity.label}</option>)}
          </select>
        </label>
      </form>
      <ErrorBanner error={error} />
      <table class="logs" data-testid="log-list">
        <tbody>
          {(logs ?? []).map((record) => (
            <Fragment key={record.seq}>
              <tr data-testid="log-row" onClick={() => setOpen(open === record.seq ? undefined : record.seq)}>
                <td class="muted">{Format.dateTime(record.time)}</td>
                <td><span class={`severity ${Format.severityClass(record.severityNumber)}`}>{record.severityText || record.severityNumber}</span></td>
                <td><ServiceChip service={record.service} /></td>
                <td class="body" data-testid="log-body">{Format.value(record.body)}</td>
                <td>
                  {record.traceId === undefined ? null : (
                    <a data-testid="log-trace-link" href={Format.traceLink(record.traceId, record.spanId)} onClick={(event) => event.stopPropagation()}>trace</a>
                  )}
                </td>
              </tr>
              {open === record.seq ? (
                <tr class="log-attributes">
                  <td colSpan={5}><AttributeTable attributes={record.attributes} testId="log-attributes" /></td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
      {logs === undefined || logs.length > 0 ? null : search.trim() !== "" || minSeverity !== "" ? (
        <p class="muted" data-testid="logs-no-match">No log records match the filter.</p>
      ) : (
        <p class="muted" data-testid="logs-empty">No log records yet. Services export them with OTEL_LOGS_EXPORTER=otlp.</p>
      )}
    </section>
  )
}
