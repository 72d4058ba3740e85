#!/usr/bin/env node
/**
 * The `lingo-obs` executable. The app's `effect` is checked before any module that imports it is
 * loaded, so a wrong Effect is one clear line rather than a module-resolution error.
 */
import { assertSupported, UnsupportedEffectError } from "@lingo-obs/core/EffectVersion"

try {
  // The effect the CLI's own modules resolve: in a service, the service's single copy.
  assertSupported("@lingo-obs/cli")
} catch (error) {
  if (!(error instanceof UnsupportedEffectError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}
const { main } = await import("./Cli.js")
process.exitCode = await main(process.argv.slice(2))
