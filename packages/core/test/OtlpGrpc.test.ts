import * as Grpc from "@grpc/grpc-js"
import { describe, expect, it } from "@effect/vitest"
import * as Protobuf from "protobufjs"
import { OtlpGrpc, PartialSuccess } from "../src/index.js"

const serviceError = (code: Grpc.status, details: string): Grpc.ServiceError =>
  Object.assign(new Error(`${code} ${Grpc.status[code]}: ${details}`), { code, details, metadata: new Grpc.Metadata() })

/** An Export response with a partial success (the three signals share the field numbers). */
const response = (rejected: number, message: string) => {
  const inner = Protobuf.Writer.create().uint32(8).int64(rejected).uint32(18).string(message).finish()
  return Protobuf.Writer.create().uint32(10).bytes(inner).finish()
}

describe("OtlpGrpc.classify", () => {
  it("a stream reset without a server status is retryable; a server's INTERNAL is not", () => {
    const reset = OtlpGrpc.classify(
      serviceError(Grpc.status.INTERNAL, "Received RST_STREAM with code 0 (Call ended without gRPC status)"),
      undefined
    )
    expect(reset).toMatchObject({ ok: false, retryable: true, status: "INTERNAL" })
    expect(OtlpGrpc.classify(serviceError(Grpc.status.INTERNAL, "collector bug"), undefined))
      .toMatchObject({ ok: false, retryable: false })
    expect(OtlpGrpc.classify(serviceError(Grpc.status.UNAVAILABLE, "Connection dropped"), undefined))
      .toMatchObject({ ok: false, retryable: true, code: Grpc.status.UNAVAILABLE, status: "UNAVAILABLE" })
    expect(OtlpGrpc.classify(serviceError(Grpc.status.PERMISSION_DENIED, "bad key"), undefined))
      .toMatchObject({ ok: false, retryable: false, message: "bad key" })
  })

  it("reads the partial success of the Export response", () => {
    expect(OtlpGrpc.classify(null, response(28, "too old"))).toEqual({ ok: true, rejected: 28, rejectedMessage: "too old" })
    expect(OtlpGrpc.classify(null, new Uint8Array())).toEqual({ ok: true })
    expect(OtlpGrpc.classify(null, undefined)).toEqual({ ok: true })
  })
})

describe("PartialSuccess.decode", () => {
  it("counts beyond 2^32 stay exact; empty partial success is full success; garbage is ignored", () => {
    expect(PartialSuccess.decode(response(2 ** 40 + 3, ""))).toEqual({ rejected: 2 ** 40 + 3, message: "" })
    expect(PartialSuccess.decode(response(0, ""))).toBeUndefined()
    expect(PartialSuccess.decode(response(0, "warning only"))).toEqual({ rejected: 0, message: "warning only" })
    expect(PartialSuccess.decode(Uint8Array.of(10, 200))).toBeUndefined()
    expect(PartialSuccess.decode(Uint8Array.of(0xff, 0xff, 0xff))).toBeUndefined()
  })
})
