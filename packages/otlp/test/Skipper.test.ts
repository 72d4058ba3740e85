/** The skipper rules and gRPC code helpers on their own, without Effect or a server. */
import { describe, expect, it } from "vitest"
import { GrpcCodes, Skipper } from "../src/index.js"

describe("Skipper", () => {
  it("skips the health routes by default, a /* pattern matching the prefix itself and what is under it", () => {
    const skipped = ["/_health", "/_health/db", "/healthz", "/readyz?full=1", "/healthz#x"]
    const kept = ["/", "/_healthy", "/healthz/extra", "/api/readyz"]
    expect(skipped.filter((url) => !Skipper.defaultHttp({ url }))).toEqual([])
    expect(kept.filter((url) => Skipper.defaultHttp({ url }))).toEqual([])
  })

  it("combines skippers with any, and none skips nothing", () => {
    const skip = Skipper.any(Skipper.defaultGrpc, Skipper.grpcMethods(["/pkg.Debug/*", "/pkg.Users/Ping"]))
    expect(["/grpc.health.v1.Health/Check", "/pkg.Debug/Dump", "/pkg.Users/Ping"].every(skip)).toBe(true)
    expect(["/pkg.Users/Get", "/grpc.health.v1.Health/Watch"].some(skip)).toBe(false)
    expect(Skipper.none()).toBe(false)
  })
})

describe("GrpcCodes", () => {
  it("names codes, and marks only the server's own failures as server span errors", () => {
    expect(GrpcCodes.codeName(GrpcCodes.Code.NOT_FOUND)).toBe("NOT_FOUND")
    expect(GrpcCodes.codeName(99)).toBe("99")
    const errors = Object.values(GrpcCodes.Code).filter((code): code is number => typeof code === "number")
      .filter(GrpcCodes.isServerError).map(GrpcCodes.codeName)
    expect(errors.sort()).toEqual(["DATA_LOSS", "DEADLINE_EXCEEDED", "INTERNAL", "UNAVAILABLE", "UNIMPLEMENTED", "UNKNOWN"])
  })

  it("names an error for error.type by its tag, its class, or its type", () => {
    expect(GrpcCodes.errorTypeOf({ _tag: "UserNotFound" })).toBe("UserNotFound")
    expect(GrpcCodes.errorTypeOf(new RangeError("x"))).toBe("RangeError")
    expect(GrpcCodes.errorTypeOf("boom")).toBe("string")
  })
})
