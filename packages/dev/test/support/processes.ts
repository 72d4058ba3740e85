/** Child processes started from the sources, as `pnpm example:*` and `lingo-obs-dev` run them. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { onTestFinished } from "vitest"

export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))

export interface Running {
  readonly child: ChildProcess
  /** The first capture group of `ready` in the output. */
  readonly ready: string
  readonly output: () => string
  /** Sends SIGTERM; resolves to the exit code (or the signal). */
  stop(): Promise<number | string>
}

/**
 * Runs `node --import tsx --conditions=@lingo-obs/source <script> ...args` and resolves once its
 * output matches `ready`; killed when the test finishes if still running.
 */
export const startScript = (
  script: string,
  args: ReadonlyArray<string>,
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
  register: (cleanup: () => Promise<void>) => void = onTestFinished,
  timeoutMs = 120_000
): Promise<Running> =>
  startNode(script, ["--import", "tsx", "--conditions=@lingo-obs/source", script, ...args], ready, env, register, timeoutMs)

/** Runs `node <built script> ...args` (a path under the repository, e.g. `packages/dev/dist/bin.js`), as `startScript` does. */
export const startBuilt = (
  script: string,
  args: ReadonlyArray<string>,
  ready: RegExp,
  register: (cleanup: () => Promise<void>) => void = onTestFinished,
  timeoutMs = 60_000
): Promise<Running> => startNode(script, [script, ...args], ready, process.env, register, timeoutMs)

const startNode = (
  script: string,
  argv: ReadonlyArray<string>,
  ready: RegExp,
  env: NodeJS.ProcessEnv,
  register: (cleanup: () => Promise<void>) => void,
  timeoutMs: number
): Promise<Running> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...argv], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const exited = new Promise<number | string>((done) =>
      child.once("exit", (code, signal) => done(code ?? signal ?? "unknown"))
    )
    register(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL")
        await exited
      }
    })
    let output = ""
    let started = false
    const timer = setTimeout(() => {
      if (!started) reject(new Error(`${script} did not get ready within ${timeoutMs} ms (waiting for ${ready}); output:\n${output}`))
    }, timeoutMs)
    const collect = (chunk: Buffer) => {
      output += chunk.toString()
      const match = ready.exec(output)
      if (match && !started) {
        started = true
        clearTimeout(timer)
        resolve({
          child,
          ready: match[1] ?? match[0],
          output: () => output,
          stop: () => {
            child.kill("SIGTERM")
            return exited
          }
        })
      }
    }
    child.stdout!.on("data", collect)
    child.stderr!.on("data", collect)
    void exited.then((code) => {
      clearTimeout(timer)
      if (!started) reject(new Error(`${script} exited (${code}) before it was ready:\n${output}`))
    })
  })
