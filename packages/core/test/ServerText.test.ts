import { describe, expect, it } from "@effect/vitest"
import * as Grpc from "@grpc/grpc-js"
import { OtlpGrpc, OtlpHttp, ServerText } from "../src/index.js"

const secrets = ServerText.secretsOf({
  headers: { "x-api-key": "k3y-0123456789", authorization: "Bearer tok-abcdef", "x-basic": "Basic dXNlcjpwYXNzd29yZDE=", "x-tenant": "7" },
  endpoint: "collector:4317"
})

describe("ServerText", () => {
  it("escapes C0 and C1 controls, DEL, line separators and bidi overrides as visible escapes", () => {
    expect(ServerText.escapeControls("a\u001b[31mb\u0007c\rd\ne\tf\u007f\u009b\u202eg\u2066h\u2028i"))
      .toBe("a\\x1b[31mb\\x07c\\rd\\ne\\tf\\x7f\\x9b\\u202eg\\u2066h\\u2028i")
    expect(ServerText.escapeControls("plain text, ünïcödé and 日本語 stay")).toBe("plain text, ünïcödé and 日本語 stay")
  })

  it("replaces every configured header value, the bearer token alone and a decoded Basic password", () => {
    expect(ServerText.clean("key k3y-0123456789 token tok-abcdef as Bearer tok-abcdef", secrets))
      .toBe("key *** token *** as ***")
    expect(ServerText.clean("user:password1 and password1 and %22k3y-0123456789%22", secrets)).toBe("*** and *** and %22***%22")
    // A short value only where it stands alone: "7" is hidden, the 7 inside 4711 is not.
    expect(ServerText.clean("tenant 7 unknown; request 4711", secrets)).toBe("tenant *** unknown; request 4711")
  })

  it("redacts before it shortens, so a secret cut by the limit leaks no part of itself", () => {
    const text = `${"x".repeat(290)} k3y-0123456789 ${"y".repeat(20)}`
    const cleaned = ServerText.clean(text, secrets)
    expect(cleaned).not.toContain("k3y")
    expect(cleaned.endsWith("…")).toBe(true)
    expect(cleaned.length).toBeLessThanOrEqual(ServerText.MAX_LENGTH + 1)
  })

  it("is applied by both transports' classification of an answer", () => {
    const body = Buffer.from("bad key k3y-0123456789\u001b[2J\r\nFORGED")
    const http = OtlpHttp.classify(401, { "content-type": "text/plain" }, body, "http://collector/v1/traces", secrets)
    expect(!http.ok && http.message).toBe("bad key ***\\x1b[2J\\r\\nFORGED")
    const error = Object.assign(new Error("x"), {
      code: Grpc.status.UNAUTHENTICATED,
      details: "bad token tok-abcdef\u0007",
      metadata: new Grpc.Metadata()
    })
    const grpc = OtlpGrpc.classify(error, undefined, { tls: false }, secrets)
    expect(!grpc.ok && grpc.message).toBe("bad token ***\\x07")
  })
})
