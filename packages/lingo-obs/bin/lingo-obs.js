#!/usr/bin/env node
// The `lingo-obs` command of the Effect 4 line. It loads no `effect`: `dev` runs `@lingo-obs/dev`
// (Effect-free, an optional dev dependency), so the command works whatever the app's Effect.
// A committed file (not in dist/), so that a fresh workspace install links it before any build.
// The Effect 3 line's command of the same name is `@lingo-obs/cli`'s; a project installs one line.
const USAGE = `usage: lingo-obs dev [--port N] [--grpc-port N] [--http-port N] [--max-spans N] [--file PATH]
  dev    local OTLP receiver (gRPC 4317, HTTP 4318) and web viewer (4319); needs @lingo-obs/dev
config check, config schema and doctor are not in the Effect 4 line's command yet.`
const [command, ...rest] = process.argv.slice(2)
if (command === "dev") {
  let dev
  try {
    dev = await import("@lingo-obs/dev")
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("@lingo-obs/dev")) throw error
    process.stderr.write("lingo-obs dev needs @lingo-obs/dev: npm install --save-dev @lingo-obs/dev\n")
    process.exit(1)
  }
  const { Dev, runDev } = dev
  await runDev(rest).then(
    () => process.exit(0),
    (error) => {
      // The same lines and exit codes as `lingo-obs-dev`: a bad flag 2, a port in use 1, no stack for either.
      const known = error instanceof Dev.DevOptionsError || error instanceof Dev.DevStartError
      process.stderr.write(`lingo-obs dev: ${known ? error.message : error?.stack ?? String(error)}\n`)
      process.exit(error instanceof Dev.DevOptionsError ? 2 : 1)
    }
  )
} else if (command === undefined || command === "--help" || command === "help") {
  process.stdout.write(`${USAGE}\n`)
} else {
  process.stderr.write(`lingo-obs: unknown or not yet available command ${JSON.stringify(command)}\n${USAGE}\n`)
  process.exit(2)
}
