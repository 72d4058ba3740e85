/**
 * `lingo-obs dev`: the local OTLP receiver and web viewer of `@lingo-obs/dev` (an optional dev
 * dependency). No `effect` here: the bin runs this command without loading the app's Effect.
 */
import { type Output, processOutput } from "@lingo-obs/otlp/CommandLine"

/** The package behind `lingo-obs dev`; a computed specifier, so building this package does not need it. */
const PACKAGE = "@lingo-obs/dev"

interface DevModule {
  readonly runDev: (args: ReadonlyArray<string>) => Promise<void>
  readonly Dev: { readonly DevOptionsError: new(...args: never) => Error; readonly DevStartError: new(...args: never) => Error }
}

/** Runs `lingo-obs dev` with `args`; resolves with the exit status (a bad flag 2, a port in use 1, as `lingo-obs-dev`). */
export const run = async (args: ReadonlyArray<string>, output: Output = processOutput, specifier: string = PACKAGE): Promise<number> => {
  let dev: DevModule
  try {
    dev = (await import(specifier)) as DevModule
  } catch (error) {
    const code = (error as { readonly code?: unknown } | null)?.code
    if (code !== "ERR_MODULE_NOT_FOUND" || !String((error as Error).message).includes(PACKAGE)) throw error
    output.stderr(`lingo-obs dev needs ${PACKAGE}: npm install --save-dev ${PACKAGE}`)
    return 1
  }
  try {
    await dev.runDev(args)
    return 0
  } catch (error) {
    // A bad flag or a port in use is one line, no stack.
    const known = error instanceof dev.Dev.DevOptionsError || error instanceof dev.Dev.DevStartError
    output.stderr(`lingo-obs dev: ${known ? (error as Error).message : (error as Error | undefined)?.stack ?? String(error)}`)
    return error instanceof dev.Dev.DevOptionsError ? 2 : 1
  }
}
