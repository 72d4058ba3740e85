/**
 * `lingo-obs dev`: local telemetry for development, provided by `@lingo-obs/dev` (a receiver, a
 * store and a web viewer). That package is optional: it is loaded only by this command, and when
 * it is not installed the command says how to install it.
 */
import type { Output } from "./internal/output.js"

/** The package behind `lingo-obs dev`; a computed specifier, so building the CLI does not need it. */
export const PACKAGE = "@lingo-obs/dev"

export const INSTALL_HINT = `lingo-obs dev needs ${PACKAGE}: npm install --save-dev ${PACKAGE}`

interface DevModule {
  readonly runDev?: (args: ReadonlyArray<string>) => Promise<void>
}

const isMissing = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "code" in error &&
  (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND") &&
  error instanceof Error && error.message.includes(PACKAGE)

export const run = async (args: ReadonlyArray<string>, output: Output, specifier: string = PACKAGE): Promise<number> => {
  let module: DevModule
  try {
    module = (await import(specifier)) as DevModule
  } catch (error) {
    if (!isMissing(error)) throw error
    output.stderr(INSTALL_HINT)
    return 1
  }
  if (typeof module.runDev !== "function") {
    output.stderr(`${PACKAGE} does not export runDev: install a version that matches @lingo-obs/cli`)
    return 1
  }
  await module.runDev(args)
  return 0
}
