/**
 * The OTLP receiver (gRPC and HTTP) in its own process (`packages/otlp-receiver/src/cli.ts --count-only`),
 * so decoding never loads the measured process. Commands are answered one JSON line each, in order.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as Path from "node:path"
import { createInterface } from "node:readline"
import { COMPILED, ROOT, SOURCE_ARGS } from "./child.js"

export interface ReceiverStats {
  readonly spans: number
  readonly metricPoints: number
  readonly logs: number
  readonly calls: number
}

export class Receiver {
  private readonly waiting: Array<(reply: Record<string, unknown>) => void> = []

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    /** OTLP/gRPC, `127.0.0.1:PORT`. */
    readonly endpoint: string,
    /** OTLP/HTTP, `http://127.0.0.1:PORT` (the same counts). */
    readonly httpEndpoint: string
  ) {}

  static start(): Promise<Receiver> {
    const cli = Path.join(ROOT, "packages", "otlp-receiver", COMPILED ? "dist/cli.js" : "src/cli.ts")
    const child = spawn(process.execPath, [...SOURCE_ARGS, cli, "--count-only", "--port", "0"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"]
    })
    return new Promise((resolve, reject) => {
      let receiver: Receiver | undefined
      const stderr: Array<string> = []
      child.stderr.setEncoding("utf8")
      child.stderr.on("data", (chunk: string) => stderr.push(chunk))
      child.on("error", reject)
      child.on("exit", (code) => {
        if (receiver === undefined) reject(new Error(`receiver exited (${code}) before listening: ${stderr.join("")}`))
      })
      createInterface({ input: child.stdout }).on("line", (line) => {
        let message: Record<string, unknown>
        try {
          message = JSON.parse(line) as Record<string, unknown>
        } catch {
          return
        }
        if (receiver === undefined) {
          if (typeof message["listening"] === "string" && typeof message["http"] === "string") {
            resolve(receiver = new Receiver(child, message["listening"], message["http"]))
          }
          else reject(new Error(`receiver did not start: ${line}`))
          return
        }
        receiver.waiting.shift()?.(message)
      })
    })
  }

  /** Sends one command and resolves with its answer. */
  command(name: "stats" | "reset" | "stop" | "start"): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => (typeof reply["error"] === "string" ? reject(new Error(String(reply["error"]))) : resolve(reply)))
      this.child.stdin.write(`${name}\n`)
    })
  }

  async stats(): Promise<ReceiverStats> {
    return (await this.command("stats")) as unknown as ReceiverStats
  }

  async reset(): Promise<void> {
    await this.command("reset")
  }

  /** Closes the receiver's stdin, which makes it exit. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve()
      this.child.once("exit", () => resolve())
      this.child.stdin.end()
    })
  }
}
