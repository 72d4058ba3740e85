/** Small pieces shared by the views. */
import { useState } from "preact/hooks"
import type { Api } from "./api.js"
import * as Format from "./format.js"

export const AttributeTable = (props: { attributes: Api.Attributes; testId?: string }) => {
  const keys = Object.keys(props.attributes).sort()
  if (keys.length === 0) return <p class="muted">none</p>
  return (
    <table class="attributes" data-testid={props.testId}>
      <tbody>
        {keys.map((key) => (
          <tr key={key} data-testid="attribute-row" data-key={key}>
            <th>{key}</th>
            <td>{Format.value(props.attributes[key])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export const ServiceChip = (props: { service: string }) => (
  <span class="service-chip" style={{ borderColor: Format.serviceColour(props.service) }}>
    <span class="dot" style={{ background: Format.serviceColour(props.service) }} />
    {props.service}
  </span>
)

/** Copies an absolute link to the clipboard; the link is also a plain anchor to copy by hand. */
export const CopyLink = (props: { hash: string; testId: string }) => {
  const [copied, setCopied] = useState(false)
  const href = Format.absoluteLink(props.hash)
  const copy = (event: Event) => {
    event.preventDefault()
    event.stopPropagation()
    void navigator.clipboard?.writeText(href).then(() => {
      setCopied(true)
      setTimeout(() => setCopied(false), 1200)
    })
  }
  return (
    <a class="copy-link" href={href} onClick={copy} title="Copy a link to this trace" data-testid={props.testId}>
      {copied ? "copied" : "link"}
    </a>
  )
}

export const ErrorBanner = (props: { error: string | undefined }) =>
  props.error === undefined ? null : <p class="error-banner" data-testid="error-banner">{props.error}</p>

/** What a link to something absent shows: what was asked for, and a way back. */
export const NotFound = (props: { what: string }) => (
  <section class="not-found" data-testid="not-found">
    <h2>Not found</h2>
    <p>{props.what}</p>
    <p><a href="#/traces">Back to the traces</a></p>
  </section>
)
