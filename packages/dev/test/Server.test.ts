/** The viewer's server on its own: a client that starts a request and stalls is cut off, not kept. */
import { Server, Store } from "@lingo-obs/dev"
import { connect } from "node:net"
import { describe, expect, it, onTestFinished } from "vitest"

describe("the viewer's server", () => {
  it("cuts off a client that sends part of a request and stalls", async () => {
    const server = await Server.start({ store: Store.make(), port: 0, requestTimeoutMs: 500 })
    onTestFinished(() => server.close())
    const socket = connect(server.port, "127.0.0.1")
    onTestFinished(() => void socket.destroy())
    let answer = ""
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()))
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())))
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
    const sent = Date.now()
    // Headers never finished.
    socket.write("GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    const elapsed = (await closed) - sent
    expect(elapsed).toBeGreaterThanOrEqual(400)
    expect(elapsed).toBeLessThan(20_000)
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
  })
})
