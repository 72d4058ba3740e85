/**
 * Runs the receiver in its own process, for benchmarks that must not share an event loop with it.
 *
 *   node --import tsx packages/otlp-receiver/src/cli.ts [--port N] [--http-port N] [--count-only]
 *
 * Prints `{"listening":"127.0.0.1:PORT","http":"http://127.0.0.1:HTTP_PORT"}` once ready (OTLP/gRPC, OTLP/HTTP), then answers one JSON line per stdin command:
 * `stats` (counts), `reset`, `stop` (close the port), `start` (reopen it on the same port), `exit`.
 * It exits when stdin closes, so it never outlives its parent.
 */
import { createInterface } from "node:readline"
import { parseArgs } from "node:util"
import * as OtlpReceiver from "./OtlpReceiver.js"

const reply = (message: object): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}

const shutdown = async (receiver: OtlpReceiver.Receiver): Promise<never> => {
  await receiver.stop()
  process.exit(0)
}

const commands: Record<string, (receiver: OtlpReceiver.Receiver) => Promise<void> | void> = {
  stats: (receiver) => {
    const { spans, metricPoints, logRecords } = receiver.counts()
    const { traces, metrics, logs } = receiver.stats()
    reply({ spans, metricPoints, logs: logRecords, calls: traces + metrics + logs })
  },
  reset: (receiver) => {
    receiver.reset()
    reply({ ok: true })
  },
  stop: async (receiver) => {
    await receiver.stop()
    reply({ ok: true })
  },
  start: async (receiver) => {
    await receiver.restart()
    reply({ ok: true })
  },
  exit: shutdown
}

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "0" }, "http-port": { type: "string", default: "0" }, "count-only": { type: "boolean", default: false } }
  })
  const receiver = await OtlpReceiver.start({ port: Number(values.port), httpPort: Number(values["http-port"]), countOnly: values["count-only"] })
  reply({ listening: receiver.endpoint, http: receiver.httpEndpoint })

  const lines = createInterface({ input: process.stdin })
  // Commands run one after another so `stop` followed by `start` cannot interleave.
  let queue = Promise.resolve()
  lines.on("line", (line) => {
    const name = line.trim()
    if (name === "") return
    queue = queue.then(async () => {
      const command = commands[name]
      if (command === undefined) return reply({ error: `unknown command: ${name}` })
      await command(receiver)
    }).catch((error: unknown) => reply({ error: String(error) }))
  })
  lines.on("close", () => {
    queue = queue.then(() => shutdown(receiver))
  })
}

main().catch((error: unknown) => {
  reply({ error: String(error) })
  process.exit(1)
})
