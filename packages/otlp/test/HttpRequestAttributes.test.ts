import { describe, expect, it } from "vitest"
import * as HttpRequestAttributes from "../src/HttpRequestAttributes.js"

const CANARY = "CANARY-e4http-7f3a"

const request = (url: string, headers: Record<string, string> = {}) => ({
  method: "GET",
  url,
  headers: { host: "api.example.com:8443", ...headers },
  remoteAddress: { _tag: "Some" as const, value: "10.0.0.7" }
})

describe("HttpRequestAttributes (the engine's request description, both lines)", () => {
  it("describes a plain request by hand, with secret query values redacted", () => {
    const parse = () => {
      throw new Error("a plain URL must not need URL parsing")
    }
    const described = HttpRequestAttributes.serverRequest(
      request(`/users/1?expand=1&sig=${CANARY}&api_key=${CANARY}`, { "user-agent": "curl/8", "x-forwarded-proto": "https" }),
      parse,
      "1.1"
    )
    expect(described.method).toBe("GET")
    expect(described.scheme).toBe("https")
    expect(described.attributes).toEqual({
      "http.request.method": "GET",
      "url.path": "/users/1",
      "url.query": "expand=1&sig=REDACTED&api_key=REDACTED",
      "url.scheme": "https",
      "server.address": "api.example.com",
      "server.port": 8443,
      "client.address": "10.0.0.7",
      "user_agent.original": "curl/8",
      "network.protocol.version": "1.1"
    })
    expect(JSON.stringify(described)).not.toContain(CANARY)
  })

  it("leaves anything unusual to the platform's URL parser; an unknown method is _OTHER with the original kept", () => {
    const described = HttpRequestAttributes.serverRequest(
      { ...request("/a/../b"), method: "Purge", headers: { host: "[::1]:8080" } },
      () => new URL("http://[::1]:8080/b"),
      undefined
    )
    expect(described.attributes).toMatchObject({
      "http.request.method": "_OTHER",
      "http.request.method_original": "Purge",
      "url.path": "/b",
      "server.address": "[::1]",
      "server.port": 8080
    })
  })

  it("records a client target without credentials or secret values", () => {
    const plain = HttpRequestAttributes.clientTarget("http://127.0.0.1:8080/echo?q=1&token=abc", true, () => undefined)
    expect(plain).toEqual({ scheme: "http", host: "127.0.0.1", port: 8080, full: "http://127.0.0.1:8080/echo?q=1&token=REDACTED" })
    const withUser = HttpRequestAttributes.clientTarget(
      `https://user:${CANARY}@Example.com/x`,
      true,
      () => new URL(`https://user:${CANARY}@Example.com/x`)
    )
    expect(withUser).toEqual({ scheme: "https", host: "example.com", port: 443, full: "https://REDACTED:REDACTED@example.com/x" })
    expect(HttpRequestAttributes.clientTarget("not a url", true, () => undefined).full).toBeUndefined()
  })

  it("names error types from both lines' client errors", () => {
    expect(HttpRequestAttributes.errorTypeOf({ _tag: "RequestError", reason: "Transport" })).toBe("Transport")
    expect(HttpRequestAttributes.errorTypeOf({ _tag: "HttpClientError", reason: { _tag: "TransportError" } })).toBe("TransportError")
    expect(HttpRequestAttributes.errorTypeOf(new TypeError("x"))).toBe("TypeError")
    expect(HttpRequestAttributes.errorTypeOf("weird")).toBe("_OTHER")
  })
})
