/** Waiting on a child process the tests started: for a line of its output, and for its exit. */
import type { ChildProcess } from "node:child_process"

/** Resolves once `predicate` holds for the output so far; rejects if the child exits first or after `timeoutMs`. */
export const waitForOutput = (child: ChildProcess, output: () => string, predicate: (text: string) => boolean, timeoutMs: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out; output so far:\n${output()}`)), timeoutMs)
    const check = () => predicate(output()) && finish()
    const onExit = () => finish(new Error(`exited early; output:\n${output()}`))
    const finish = (error?: Error) => {
      clearTimeout(timer)
      child.stdout?.off("data", check)
      child.stderr?.off("data", check)
      child.off("exit", onExit)
      error === undefined ? resolve() : reject(error)
    }
    child.stdout?.on("data", check)
    child.stderr?.on("data", check)
    child.once("exit", onExit)
    check()
  })

/** The child's exit code or signal, once it has exited. */
export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once("exit", (code, signal) => resolve({ code, signal }))
  })
