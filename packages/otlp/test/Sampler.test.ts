/** The adjustable sampler on its own: root decisions follow the ratio, children follow their parent. */
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from "@opentelemetry/api"
import { SamplingDecision } from "@opentelemetry/sdk-trace-base"
import { describe, expect, it } from "vitest"
import { Sampler } from "../src/index.js"

const TRACE_IDS = Array.from({ length: 400 }, (_, index) => index.toString(16).padStart(8, "0").repeat(4))

const sampledRoots = (sampler: Sampler.AdjustableSampler): number =>
  TRACE_IDS.filter((traceId) =>
    sampler.shouldSample(ROOT_CONTEXT, traceId, "root", SpanKind.INTERNAL, {}, []).decision ===
      SamplingDecision.RECORD_AND_SAMPLED
  ).length

const underParent = (sampled: boolean) =>
  trace.setSpanContext(context.active(), {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true
  })

describe("Sampler.makeSampler", () => {
  it("samples roots at the ratio, and a new ratio applies to the next root at once", () => {
    const sampler = Sampler.makeSampler({ sampler: "parentbased_traceidratio", samplingRatio: 1 })
    expect(sampledRoots(sampler)).toBe(TRACE_IDS.length)
    sampler.setRatio(0)
    expect(sampledRoots(sampler)).toBe(0)
    expect(sampler.ratio).toBe(0)
  })

  it("parent-based: a child follows its parent whatever the ratio, so a change never splits a trace", () => {
    const sampler = Sampler.makeSampler({ sampler: "parentbased_traceidratio", samplingRatio: 0 })
    const decide = (sampled: boolean) =>
      sampler.shouldSample(underParent(sampled), "0af7651916cd43dd8448eb211c80319c", "child", SpanKind.SERVER, {}, []).decision
    expect(decide(true)).toBe(SamplingDecision.RECORD_AND_SAMPLED)
    expect(decide(false)).toBe(SamplingDecision.NOT_RECORD)
    expect(sampler.parentBased).toBe(true)
  })

  it("without parentbased_, the ratio decides for children too; always_off samples nothing", () => {
    const ratio = Sampler.makeSampler({ sampler: "traceidratio", samplingRatio: 0 })
    expect(ratio.shouldSample(underParent(true), "0af7651916cd43dd8448eb211c80319c", "child", SpanKind.SERVER, {}, []).decision)
      .toBe(SamplingDecision.NOT_RECORD)
    expect(sampledRoots(Sampler.makeSampler({ sampler: "always_off", samplingRatio: 1 }))).toBe(0)
  })
})
