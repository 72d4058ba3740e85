/** One trace: the waterfall across services, a detail pane for the selected span, and the trace's logs. */
import { type Api, useFetch } from "./api.js"
import { AttributeTable, CopyLink, ErrorBanner, NotFound, ServiceChip } from "./common.js"
import * as Format from "./format.js"

const Section = (props: { title: string; testId: string; open?: boolean; children: preact.ComponentChildren }) => (
  <details open={props.open ?? true} data-testid={props.testId}>
    <summary>{props.title}</summary>
    {props.children}
  </details>
)

const SpanDetail = (props: { span: Api.Span; orphan: boolean; traceStart: number }) => {
  const { span } = props
  return (
    <aside class="span-detail" data-testid="span-detail" data-span-id={span.spanId}>
      <h3 data-testid="span-detail-name">{span.name}</h3>
      <p>
        <ServiceChip service={span.service} /> {Format.SPAN_KINDS[span.kind] ?? span.kind} ·{" "}
        <strong>{Format.duration(span.end - span.start)}</strong> at +{Format.duration(span.start - props.traceStart)}
      </p>
      <p class="ids">
        span {span.spanId}
        {span.parentSpanId === undefined ? " · root" : ` · parent ${span.parentSpanId}`}
        {props.orphan ? <span class="orphan-mark"> (parent not received)</span> : null}
      </p>
      <p data-testid="span-status" class={span.status.code === 2 ? "status-error" : ""}>
        status: {Format.STATUS[span.status.code] ?? span.status.code}
        {span.status.message === undefined ? "" : ` — ${span.status.message}`}
      </p>
      <Section title={`Attributes (${Object.keys(span.attributes).length})`} testId="span-attributes-section">
        <AttributeTable attributes={span.attributes} testId="span-attributes" />
      </Section>
      <Section title={`Events (${span.events.length})`} testId="span-events-section" open={span.events.length > 0}>
        {span.events.length === 0 ? <p class="muted">none</p> : span.events.map((event, index) => (
          <div key={index} class="event" data-testid="span-event">
            <strong>{event.name}</strong> <span class="muted">+{Format.duration(event.time - span.start)}</span>
            <AttributeTable attributes={event.attributes} />
          </div>
        ))}
      </Section>
      <Section title={`Links (${span.links.length})`} testId="span-links-section" open={span.links.length > 0}>
        {span.links.length === 0 ? <p class="muted">none</p> : span.links.map((link, index) => (
          <div key={index} class="event">
            <a href={Format.traceLink(link.traceId, link.spanId)}>{link.traceId} / {link.spanId}</a>
            <AttributeTable attributes={link.attributes} />
          </div>
        ))}
      </Section>
      <Section title="Resource" testId="span-resource-section" open={false}>
        <AttributeTable attributes={span.resource} testId="span-resource" />
      </Section>
      <Section title="Scope" testId="span-scope-section" open={false}>
        <p data-testid="span-scope">{span.scope.name}{span.scope.version === undefined ? "" : ` ${span.scope.version}`}</p>
      </Section>
    </aside>
  )
}

const TraceLogs = (props: { logs: ReadonlyArray<Api.LogRecord>; traceId: string; traceStart: number }) => (
  <section class="trace-logs" data-testid="trace-logs">
    <h3>Logs ({props.logs.length})</h3>
    {props.logs.length === 0 ? <p class="muted">No log records with this trace id. Services export them with OTEL_LOGS_EXPORTER=otlp.</p> : null}
    <table class="logs">
      <tbody>
        {props.logs.map((record) => (
          <tr key={record.seq} data-testid="trace-log-row">
            <td class="muted">+{Format.duration(record.time - props.traceStart)}</td>
            <td><span class={`severity ${Format.severityClass(record.severityNumber)}`}>{record.severityText || record.severityNumber}</span></td>
            <td><ServiceChip service={record.service} /></td>
            <td class="body" data-testid="trace-log-body">{Format.value(record.body)}</td>
            <td>{record.spanId === undefined ? null : <a href={Format.traceLink(props.traceId, record.spanId)}>span</a>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
)

export const TraceView = (props: { traceId: string; spanId: string | undefined }) => {
  const { data: trace, error, notFound } = useFetch<Api.TraceDetail>(`/api/traces/${encodeURIComponent(props.traceId)}`)
  if (notFound) return <NotFound what={`No trace ${props.traceId} in the store: never received, or evicted to stay within capacity.`} />
  if (trace === undefined) return <section data-testid="trace-view"><ErrorBanner error={error} />{error === undefined ? <p class="muted">loading…</p> : null}</section>
  const { summary, rows } = trace
  const total = Math.max(summary.durationMs, 0.001)
  const selected = rows.find((row) => row.span.spanId === props.spanId) ?? rows[0]
  const select = (spanId: string) => (location.hash = Format.traceLink(props.traceId, spanId))
  return (
    <section class="trace-view" data-testid="trace-view" data-trace-id={summary.traceId}>
      <header class="trace-header">
        <h2 data-testid="trace-title">{summary.rootName}</h2>
        <span class="trace-id">{summary.traceId}</span>
        <span>{Format.dateTime(summary.start)}</span>
        <strong>{Format.duration(summary.durationMs)}</strong>
        <span>{summary.spanCount} spans</span>
        {summary.errorCount > 0 ? <span class="status-error">{summary.errorCount} error(s)</span> : null}
        {summary.orphanCount > 0 ? <span class="orphan-mark" data-testid="trace-orphans">{summary.orphanCount} orphan(s)</span> : null}
        {summary.services.map((service) => <ServiceChip key={service} service={service} />)}
        <CopyLink hash={Format.traceLink(summary.traceId)} testId="copy-trace-link" />
      </header>
      <ErrorBanner error={error} />
      <div class="trace-body">
        <div class="waterfall" data-testid="waterfall">
          <div class="waterfall-scale">
            {[0, 0.25, 0.5, 0.75, 1].map((fraction) => (
              <span key={fraction} style={{ left: `${fraction * 100}%` }}>{Format.duration(total * fraction)}</span>
            ))}
          </div>
          {rows.map((row) => {
            const { span } = row
            const left = ((span.start - summary.start) / total) * 100
            const width = Math.max(((span.end - span.start) / total) * 100, 0.3)
            const colour = Format.serviceColour(span.service)
            return (
              <div
                key={span.spanId}
                class={`waterfall-row${selected?.span.spanId === span.spanId ? " selected" : ""}`}
                data-testid="waterfall-row"
                data-span-id={span.spanId}
                data-parent-span-id={span.parentSpanId ?? ""}
                data-depth={row.depth}
                data-service={span.service}
                onClick={() => select(span.spanId)}
              >
                <div class="waterfall-label" style={{ paddingLeft: `${row.depth * 14 + 4}px` }}>
                  <span class="service-bar" style={{ background: colour }} title={span.service} />
                  {span.status.code === 2 ? <span class="error-mark">!</span> : null}
                  <span data-testid="span-name">{span.name}</span>
                  {row.orphan ? (
                    <span class="orphan-mark" data-testid="orphan-mark" title={`parent ${span.parentSpanId} not received`}>
                      {/* A server span's missing parent is usually the caller's: a client outside the telemetry. */}
                      {span.kind === 2 || span.kind === 5 ? " remote parent" : " orphan"}
                    </span>
                  ) : null}
                </div>
                <div class="waterfall-track">
                  <div class="waterfall-bar" style={{ left: `${left}%`, width: `${width}%`, background: colour }} />
                  {left + width > 82 ? (
                    <span class="waterfall-duration inside" style={{ right: `${100 - left - width}%` }}>{Format.duration(span.end - span.start)}</span>
                  ) : (
                    <span class="waterfall-duration" style={{ left: `${left + width}%` }}>{Format.duration(span.end - span.start)}</span>
                  )}
                </div>
              </div>
            )
          })}
          <TraceLogs logs={trace.logs} traceId={summary.traceId} traceStart={summary.start} />
        </div>
        {selected === undefined ? null : <SpanDetail span={selected.span} orphan={selected.orphan} traceStart={summary.start} />}
      </div>
    </section>
  )
}
