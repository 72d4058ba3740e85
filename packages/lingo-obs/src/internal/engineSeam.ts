/**
 * THE ENGINE SEAM — what the Effect 4 line still needs that the engine (`@lingo-obs/otlp`) does
 * not have yet. Everything else comes from the engine: span limits (`SpanLimits`), span records
 * and ids (`SpanEncoder`), the fiber context manager (`ContextManager`), header rules
 * (`HeaderRules`), the export pipeline, processor and switch (`Pipeline`, `SpanProcessor`,
 * `Switch`). When the engine gains one of the helpers below, the helper is deleted here and its
 * users import the engine's:
 *
 * | here                 | today in                                                   |
 * |----------------------|------------------------------------------------------------|
 * | `toAttributeValue`   | `@lingo-obs/core` Attributes.ts (Effect 3 package)          |
 * | `AdjustableSampler`  | `@lingo-obs/tracing` Tracing.ts (samplers: moving to the engine) |
 *
 * Nothing in this file imports `effect`: the engine has no Effect either.
 */
import type * as OtelApi from "@opentelemetry/api"
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler
} from "@opentelemetry/sdk-trace-base"

// ---------------------------------------------------------------------------------------------
// Attribute values
// ---------------------------------------------------------------------------------------------

const isArrayOf = (value: unknown, type: "string" | "number" | "boolean"): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === type)

/**
 * A span attribute value: primitives and homogeneous arrays as they are, a bigint as its digits,
 * anything else as JSON indented by two spaces (what the Effect 3 line writes), circular
 * references left out.
 */
export const toAttributeValue = (value: unknown): OtelApi.AttributeValue => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return value.toString()
  }
  if (isArrayOf(value, "string") || isArrayOf(value, "number") || isArrayOf(value, "boolean")) {
    return value as OtelApi.AttributeValue
  }
  if (typeof value !== "object" || value === null) return String(value)
  const seen = new WeakSet<object>()
  try {
    return JSON.stringify(value, (_, item: unknown) => {
      if (typeof item === "bigint") return item.toString()
      if (typeof item === "object" && item !== null) {
        if (seen.has(item)) return undefined
        seen.add(item)
      }
      return item
    }, 2)
  } catch {
    return String(value)
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------------------------

/**
 * The sampler of root spans for an `OTEL_TRACES_SAMPLER` name (the part after `parentbased_`).
 * A ratio of 1 samples everything: the always-on sampler decides that without reading the trace id.
 */
const rootSampler = (kind: string, ratio: number): Sampler =>
  kind.endsWith("always_on") || (kind.endsWith("traceidratio") && ratio >= 1)
    ? new AlwaysOnSampler()
    : kind.endsWith("always_off")
    ? new AlwaysOffSampler()
    : new TraceIdRatioBasedSampler(ratio)

/**
 * The configured sampler, with a ratio that can change while the program runs (`Reconfigure`).
 * In the parent-based samplers only root decisions use the ratio, so a change never splits a trace.
 */
export class AdjustableSampler implements Sampler {
  readonly parentBased: boolean
  private root: Sampler
  private full: Sampler

  constructor(private readonly kind: string, public ratio: number) {
    this.parentBased = kind.startsWith("parentbased_")
    this.root = rootSampler(kind, ratio)
    this.full = this.parentBased ? new ParentBasedSampler({ root: this.root }) : this.root
  }

  setRatio(ratio: number): void {
    this.ratio = ratio
    this.root = rootSampler(this.kind, ratio)
    this.full = this.parentBased ? new ParentBasedSampler({ root: this.root }) : this.root
  }

  /** The sampler of root spans now in effect. */
  readonly rootSampler = (): Sampler => this.root

  shouldSample(...args: Parameters<Sampler["shouldSample"]>) {
    return this.full.shouldSample(...args)
  }

  toString(): string {
    return `AdjustableSampler{${this.full.toString()}}`
  }
}
