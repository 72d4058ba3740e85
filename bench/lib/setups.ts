/**
 * The Effect set-ups the scenarios compare, loaded on demand so that each variant's process
 * imports only its own: the toolkit (`Observability.layer`), `@effect/opentelemetry`'s NodeSdk,
 * or no tracer layer at all (the floor).
 */
import * as Layer from "effect/Layer"
import type { Batch } from "./peers.js"
import type { AnyLayer } from "./spans.js"
import type { ToolkitOverrides } from "./toolkit.js"

export type EffectVariant = "toolkit" | "nodesdk" | "none"

export const effectLayer = async (
  variant: EffectVariant,
  endpoint: string,
  options: { readonly batch?: Batch; readonly toolkit?: ToolkitOverrides; readonly shutdownTimeoutMillis?: number } = {}
): Promise<AnyLayer> => {
  switch (variant) {
    case "toolkit":
      return (await import("./toolkit.js")).toolkitLayer(endpoint, options.toolkit)
    case "nodesdk":
      return (await import("./peers.js")).nodeSdkLayer(endpoint, options.batch ?? "sdk-default", options.shutdownTimeoutMillis)
    case "none":
      return Layer.empty
  }
}

/** The toolkit's self-metrics, when the variant is the toolkit (its module is loaded by then). */
export const countersOf = async (variant: string) =>
  variant === "toolkit" ? (await import("./toolkit.js")).toolkitCounters() : undefined
