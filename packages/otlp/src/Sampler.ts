/**
 * The samplers of `OTEL_TRACES_SAMPLER` (`always_on`, `traceidratio`, `parentbased_*`, ...) as one
 * `AdjustableSampler` whose ratio can change while the program runs: in the parent-based samplers
 * only root decisions use the ratio, so a change never splits a trace.
 *
 * @example
 * ```ts
 * const sampler = Sampler.makeSampler({ sampler: "parentbased_traceidratio", samplingRatio: 0.1 })
 * sampler.setRatio(0.5)
 * ```
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler
} from "@opentelemetry/sdk-trace-base"

/** The sampler names of `OTEL_TRACES_SAMPLER`. */
export const KINDS = [
  "parentbased_traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "traceidratio",
  "always_on",
  "always_off"
] as const
export type Kind = typeof KINDS[number]

/**
 * The sampler of root spans for a sampler name (the part after `parentbased_`). A ratio of 1
 * samples everything: the always-on sampler decides that without reading the trace id.
 */
const rootSampler = (kind: Kind, ratio: number): Sampler =>
  kind.endsWith("always_on") || (kind.endsWith("traceidratio") && ratio >= 1)
    ? new AlwaysOnSampler()
    : kind.endsWith("always_off")
    ? new AlwaysOffSampler()
    : new TraceIdRatioBasedSampler(ratio)

/**
 * The configured sampler, with a ratio that can change while the program runs. In the
 * parent-based samplers only root decisions use the ratio, so a change never splits a trace.
 */
export class AdjustableSampler implements Sampler {
  readonly parentBased: boolean
  private root: Sampler
  private full: Sampler

  constructor(private readonly kind: Kind, public ratio: number) {
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

/** The sampler the config describes. */
export const makeSampler = (config: { readonly sampler: Kind; readonly samplingRatio: number }): AdjustableSampler =>
  new AdjustableSampler(config.sampler, config.samplingRatio)
