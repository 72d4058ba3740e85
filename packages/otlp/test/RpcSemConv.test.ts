import * as Grpc from "@grpc/grpc-js"
import { describe, expect, it } from "vitest"
import * as RpcSemConv from "../src/RpcSemConv.js"

const method = (requestStream: boolean, responseStream: boolean) => ({
  path: "/test.v1.Echo/Say",
  requestStream,
  responseStream,
  requestSerialize: (m: unknown) => Buffer.from(JSON.stringify(m)),
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  responseSerialize: (m: unknown) => Buffer.from(JSON.stringify(m)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  originalName: "say"
})

describe("RpcSemConv", () => {
  it("names spans and describes paths", () => {
    expect(RpcSemConv.describePath("/pkg.v1.Users/GetUser")).toEqual({
      service: "pkg.v1.Users",
      method: "GetUser",
      name: "pkg.v1.Users/GetUser"
    })
    expect(RpcSemConv.spanName("/pkg.v1.Users/GetUser")).toBe("pkg.v1.Users/GetUser")
    expect(RpcSemConv.spanAttributes("/pkg.v1.Users/GetUser")).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "pkg.v1.Users",
      "rpc.method": "GetUser"
    })
  })

  it("tells the four call kinds apart and finds methods by either name", () => {
    expect(RpcSemConv.callKind(method(false, false))).toBe("unary")
    expect(RpcSemConv.callKind(method(false, true))).toBe("server_streaming")
    expect(RpcSemConv.callKind(method(true, false))).toBe("client_streaming")
    expect(RpcSemConv.callKind(method(true, true))).toBe("bidi_streaming")
    expect(RpcSemConv.hasMessageEvents("unary")).toBe(false)
    expect(RpcSemConv.hasMessageEvents("bidi_streaming")).toBe(true)
    const definition = { Say: method(false, false) } as unknown as Grpc.ServiceDefinition
    expect(RpcSemConv.methodKey(definition, "Say")).toBe("Say")
    expect(RpcSemConv.methodKey(definition, "say")).toBe("Say")
    expect(RpcSemConv.methodKey(definition, "shout")).toBeUndefined()
    const ctor = Grpc.makeGenericClientConstructor(definition, "Echo")
    expect(RpcSemConv.definitionOf(ctor)).toBe(definition)
    expect(RpcSemConv.definitionOf(definition)).toBe(definition)
  })

  it("splits addresses and targets", () => {
    expect(RpcSemConv.targetAddress("dns:///users.internal:50051")).toEqual({ host: "users.internal", port: 50051 })
    expect(RpcSemConv.targetAddress("ipv4:10.0.0.1:7000,10.0.0.2:7000")).toEqual({ host: "10.0.0.1", port: 7000 })
    expect(RpcSemConv.splitHostPort("[::1]:50051")).toEqual({ host: "::1", port: 50051 })
    expect(RpcSemConv.splitHostPort("localhost")).toEqual({ host: "localhost", port: undefined })
    expect(RpcSemConv.peerAttributes("unknown")).toEqual({})
    expect(RpcSemConv.peerAttributes("127.0.0.1:4000")).toEqual({
      "network.peer.address": "127.0.0.1",
      "network.peer.port": 4000
    })
    expect(RpcSemConv.serverAttributes("svc", undefined)).toEqual({ "server.address": "svc" })
  })

  it("maps statuses to error.type per side: any non-OK on the client, server errors only on the server", () => {
    const Code = Grpc.status
    expect(RpcSemConv.errorType("client", Code.NOT_FOUND)).toBe("NOT_FOUND")
    expect(RpcSemConv.errorType("client", Code.OK)).toBeUndefined()
    expect(RpcSemConv.errorType("server", Code.NOT_FOUND)).toBeUndefined()
    expect(RpcSemConv.errorType("server", Code.INTERNAL)).toBe("INTERNAL")
    expect(RpcSemConv.errorType("server", Code.UNKNOWN, "DatabaseError")).toBe("DatabaseError")
    expect(RpcSemConv.isSpanError("server", Code.INVALID_ARGUMENT)).toBe(false)
    expect(RpcSemConv.isSpanError("client", Code.INVALID_ARGUMENT)).toBe(true)
    expect(RpcSemConv.statusOfError({ code: Code.UNAVAILABLE, details: "no connection" })).toMatchObject({
      code: Code.UNAVAILABLE,
      details: "no connection"
    })
    expect(RpcSemConv.statusOfError(new Error("boom"))).toMatchObject({ code: Code.UNKNOWN, details: "boom" })
    expect(RpcSemConv.statusOfError(undefined)).toMatchObject({ code: Code.UNKNOWN, details: "Unknown error" })
  })

  it("describes calls for the stable and the legacy duration metrics", () => {
    const call = RpcSemConv.rpcCall("client", "/pkg.Users/Get", Grpc.status.NOT_FOUND, { host: "users", port: 50051 })
    expect(RpcSemConv.defined(RpcSemConv.metricAttributes(call))).toEqual({
      "rpc.system.name": "grpc",
      "rpc.method": "pkg.Users/Get",
      "rpc.status_code": "NOT_FOUND",
      "server.address": "users",
      "server.port": 50051,
      "error.type": "NOT_FOUND"
    })
    expect(RpcSemConv.legacyMetricAttributes(call, "server")).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "pkg.Users",
      "rpc.method": "Get",
      "rpc.grpc.status_code": 5
    })
    expect(RpcSemConv.callDuration.server).toMatchObject({ name: "rpc.server.call.duration", unit: "s" })
    expect(RpcSemConv.legacyDuration.client).toMatchObject({ name: "rpc.client.duration", unit: "ms" })
  })

  it("numbers message events per direction, with sizes", () => {
    const events: Array<Record<string, unknown>> = []
    const messages = RpcSemConv.messageEvents((attributes) => events.push(attributes))
    messages.sent(3)
    messages.received(undefined)
    messages.sent(RpcSemConv.sizeOf(method(true, true).requestSerialize, { n: 1 }))
    expect(events).toEqual([
      { "rpc.message.type": "SENT", "rpc.message.id": 1, "rpc.message.uncompressed_size": 3 },
      { "rpc.message.type": "RECEIVED", "rpc.message.id": 1 },
      { "rpc.message.type": "SENT", "rpc.message.id": 2, "rpc.message.uncompressed_size": 7 }
    ])
    expect(RpcSemConv.sizeOf(() => { throw new Error("not serializable") }, {})).toBeUndefined()
  })

  it("treats a deadline within the slack as passed", () => {
    expect(RpcSemConv.deadlinePassed(Infinity)).toBe(false)
    expect(RpcSemConv.deadlinePassed(Date.now() - 1)).toBe(true)
    expect(RpcSemConv.deadlinePassed(Date.now() + 60_000)).toBe(false)
    expect(RpcSemConv.deadlinePassed(new Date(Date.now() + 10), 1_000)).toBe(true)
  })
})

describe("RpcSemConv.outgoingMetadata", () => {
  it("copies the caller's metadata (injecting into the copy leaves the caller's alone) or builds it from a record", () => {
    const callers = new Grpc.Metadata()
    callers.set("x-tenant", "acme")
    const outgoing = RpcSemConv.outgoingMetadata(callers)
    RpcSemConv.metadataSetter.set(outgoing, "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    expect(outgoing.getMap()).toEqual({
      "x-tenant": "acme",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    })
    expect(callers.getMap()).toEqual({ "x-tenant": "acme" })
    expect(RpcSemConv.outgoingMetadata({ "x-tenant": "acme" }).getMap()).toEqual({ "x-tenant": "acme" })
    expect(RpcSemConv.outgoingMetadata(undefined).getMap()).toEqual({})
  })
})
