import { describe, expect, it } from "@effect/vitest"
import { OtlpHttp } from "../src/index.js"

const url = "http://collector.test:4318/v1/traces"
const none = Buffer.alloc(0)

describe("OtlpHttp.retryAfterMillis", () => {
  it("reads delta-seconds and HTTP-dates; anything else asks for nothing", () => {
    const now = Date.parse("Mon, 30 Nov 2026 12:00:00 GMT")
    expect(OtlpHttp.retryAfterMillis("3", now)).toBe(3_000)
    expect(OtlpHttp.retryAfterMillis(" 0 ", now)).toBe(0)
    expect(OtlpHttp.retryAfterMillis("Mon, 30 Nov 2026 12:00:05 GMT", now)).toBe(5_000)
    expect(OtlpHttp.retryAfterMillis("Mon, 30 Nov 2026 11:59:00 GMT", now)).toBe(0)
    expect(OtlpHttp.retryAfterMillis("soon", now)).toBeUndefined()
    expect(OtlpHttp.retryAfterMillis("-1", now)).toBeUndefined()
    expect(OtlpHttp.retryAfterMillis(undefined, now)).toBeUndefined()
  })
})

describe("OtlpHttp.classify", () => {
  it("retries 429, 502, 503 and 504 with the server's delay; every other 4xx and 5xx is permanent", () => {
    for (const status of [429, 502, 503, 504]) {
      expect(OtlpHttp.classify(status, { "retry-after": "2" }, none, url)).toMatchObject({
        ok: false,
        retryable: true,
        code: status,
        status: `HTTP ${status}`,
        retryDelayMillis: 2_000
      })
    }
    for (const status of [400, 401, 403, 404, 413, 500, 501]) {
      const result = OtlpHttp.classify(status, { "retry-after": "2" }, none, url)
      expect(result).toMatchObject({ ok: false, retryable: false, code: status })
      expect(result).not.toHaveProperty("retryDelayMillis")
    }
  })

  it("takes the message of a Status body (JSON or text), shortened, and hints at the path on a 404", () => {
    const json = OtlpHttp.classify(403, { "content-type": "application/json" }, Buffer.from(`{"code":7,"message":"bad key"}`), url)
    expect(json).toMatchObject({ message: "bad key" })
    const text = OtlpHttp.classify(400, { "content-type": "text/plain" }, Buffer.from("x".repeat(1_000)), url)
    expect(!text.ok && text.message.length).toBeLessThan(400)
    const missing = OtlpHttp.classify(404, {}, none, url)
    expect(!missing.ok && missing.message).toContain(`is ${url} the collector's OTLP/HTTP path?`)
  })

  it("reads a partial success from a 2xx body, protobuf or JSON", () => {
    expect(OtlpHttp.classify(200, { "content-type": "application/x-protobuf" }, none, url)).toEqual({ ok: true })
    // ExportTraceServiceResponse { partial_success { rejected_spans: 3, error_message: "old" } }
    const protobuf = Buffer.from([0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, 0x6f, 0x6c, 0x64])
    expect(OtlpHttp.classify(200, { "content-type": "application/x-protobuf" }, protobuf, url)).toEqual({
      ok: true,
      rejected: 3,
      rejectedMessage: "old"
    })
    const json = Buffer.from(`{"partialSuccess":{"rejectedDataPoints":"5","errorMessage":"late"}}`)
    expect(OtlpHttp.classify(200, { "content-type": "application/json" }, json, url)).toEqual({
      ok: true,
      rejected: 5,
      rejectedMessage: "late"
    })
    expect(OtlpHttp.classify(200, { "content-type": "application/json" }, Buffer.from("{}"), url)).toEqual({ ok: true })
  })
})
