/**
 * Runs one measured variant in a fresh Node process (so the JIT and module state of one variant
 * never leak into the next), TypeScript through tsx with the workspace's source condition, and
 * collects its JSON result line, its events and the tail of whatever else it printed.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Path from "node:path"

/**
 * Whether this is the compiled bench (`bench/dist/`, built by `bench/tsconfig.build.json` against
 * the packages' `dist/`): then every child runs plain JavaScript with `node`, no tsx, no source
 * condition, so what is measured is what a service would run.
 */
export const COMPILED = import.meta.url.endsWith(".js")

/** The bench's own folder as it runs: `bench/` (sources through tsx) or `bench/dist/`. */
const BENCH = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

/** The repository root; children run from there so `--import tsx` resolves. */
export const ROOT = Path.resolve(BENCH, COMPILED ? "../.." : "..")

export const scenarioPath = (name: string): string => Path.join(BENCH, "scenarios", `${name}.${COMPILED ? "js" : "ts"}`)

export const libPath = (name: string): string => Path.join(BENCH, "lib", `${name}.${COMPILED ? "js" : "ts"}`)

/**
 * A scenario of the Effect 4 line (workspace package bench/effect4, which resolves effect 4):
 * compiled by bench/effect4/tsconfig.build.json to bench/effect4/dist/effect4/scenarios/.
 */
export const effect4ScenarioPath = (name: string): string =>
  Path.join(ROOT, "bench", "effect4", COMPILED ? `dist/effect4/scenarios/${name}.js` : `scenarios/${name}.ts`)

/** Node's arguments to run a TypeScript file of the workspace from source, or nothing when compiled. */
export const SOURCE_ARGS: ReadonlyArray<string> = COMPILED ? [] : ["--import", "tsx", "--conditions=@lingo-obs/source"]

export interface ChildEvent {
  readonly name: string
  readonly [key: string]: unknown
}

export interface ChildOptions {
  readonly script: string
  /** The Node binary to run it with; default this process's (the Effect 4 line's children: Node 24). */
  readonly execPath?: string | undefined
  readonly params: object
  /** Where to write a `--cpu-prof` profile of this process, if set. */
  readonly cpuProfileDir?: string | undefined
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Called for each event line, with a function to write a command to the child's stdin. */
  readonly onEvent?: ((event: ChildEvent, send: (command: string) => void) => void) | undefined
  readonly timeoutMillis?: number | undefined
}

export interface ChildResult<R> {
  readonly result: R | undefined
  readonly events: ReadonlyArray<ChildEvent & { readonly atMillis: number }>
  /** From spawn to exit, as the parent sees it. */
  readonly wallMillis: number
  readonly exitCode: number | null
  /** The last lines the child printed that were not protocol lines (its logs, errors). */
  readonly logTail: ReadonlyArray<string>
  readonly timedOut: boolean
}

const TAIL = 40

export const runChild = <R = Record<string, unknown>>(options: ChildOptions): Promise<ChildResult<R>> =>
  new Promise((resolve, reject) => {
    const args = [...SOURCE_ARGS]
    if (options.cpuProfileDir !== undefined) args.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`)
    args.push(options.script)
    const started = process.hrtime.bigint()
    const child = spawn(options.execPath ?? process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...options.env, BENCH_PARAMS: JSON.stringify(options.params) },
      stdio: ["pipe", "pipe", "pipe"]
    })
    const events: Array<ChildEvent & { atMillis: number }> = []
    const logTail: Array<string> = []
    let result: R | undefined
    let timedOut = false
    const keep = (text: string) => {
      logTail.push(text.length > 400 ? `${text.slice(0, 400)}…` : text)
      if (logTail.length > TAIL) logTail.shift()
    }
    const send = (command: string) => {
      if (child.stdin.writable) child.stdin.write(`${command}\n`)
    }
    const onLine = (text: string) => {
      if (text.startsWith("{\"bench\":")) {
        try {
          const message = JSON.parse(text) as { bench: string; name?: string; data?: R }
          if (message.bench === "result") result = message.data
          else if (message.bench === "event") {
            const { bench: _bench, ...rest } = message
            const entry = { ...(rest as ChildEvent), atMillis: Number(process.hrtime.bigint() - started) / 1e6 }
            events.push(entry)
            options.onEvent?.(entry, send)
          }
          return
        } catch {
          // not ours after all: keep it as a log line
        }
      }
      if (text.trim() !== "") keep(text)
    }
    const lineReader = (stream: NodeJS.ReadableStream, handle: (text: string) => void) => {
      let buffer = ""
      stream.setEncoding("utf8")
      stream.on("data", (chunk: string) => {
        buffer += chunk
        let index: number
        while ((index = buffer.indexOf("\n")) >= 0) {
          handle(buffer.slice(0, index))
          buffer = buffer.slice(index + 1)
        }
      })
      stream.on("end", () => {
        if (buffer !== "") handle(buffer)
      })
    }
    lineReader(child.stdout, onLine)
    lineReader(child.stderr, (text) => text.trim() !== "" && keep(`[stderr] ${text}`))
    child.stdin.on("error", () => {})
    const timer = options.timeoutMillis === undefined ? undefined : setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMillis)
    child.on("error", reject)
    child.on("close", (exitCode) => {
      clearTimeout(timer)
      resolve({
        result,
        events,
        wallMillis: Number(process.hrtime.bigint() - started) / 1e6,
        exitCode,
        logTail,
        timedOut
      })
    })
  })
