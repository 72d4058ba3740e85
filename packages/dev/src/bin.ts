#!/usr/bin/env node
/** `lingo-obs-dev [options]`: the same as `lingo-obs dev`, for when only this package is installed. */
import { DevOptionsError, DevStartError, runDev } from "./Dev.js"

runDev(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const known = error instanceof DevOptionsError || error instanceof DevStartError
    console.error(`lingo-obs dev: ${known ? error.message : error instanceof Error ? error.stack : String(error)}`)
    process.exit(known && error instanceof DevOptionsError ? 2 : 1)
  }
)
