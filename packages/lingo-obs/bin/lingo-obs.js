#!/usr/bin/env node
// The `lingo-obs` command of the Effect 4 line: `config check`, `config schema`, `doctor` for the
// Effect 4 config, and `dev`. `dev` loads no `effect` (it runs `@lingo-obs/dev`, an optional dev
// dependency); the others run on the app's own `effect` (this package's peer), checked first so
// that a wrong Effect is one line naming the right package, not a stack.
// A committed file (not in dist/), so that a fresh workspace install links it before any build.
// The Effect 3 line's command of the same name is `@lingo-obs/cli`'s; a project installs one line.
import { createRequire } from "node:module"

/** A module of dist/cli; before `pnpm build` in the workspace, one line saying so. */
const load = async (name) => {
  const target = new URL(`../dist/cli/${name}`, import.meta.url)
  try {
    return await import(target.href)
  } catch (error) {
    // Only in the workspace before `pnpm build`: a packed package always ships dist/.
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(target.pathname)) throw error
    process.stderr.write("lingo-obs: dist/ is not built yet: run `pnpm build` in the lingo-obs repository\n")
    process.exit(1)
  }
}

const args = process.argv.slice(2)
if (args[0] === "dev") {
  const { run } = await load("Dev.js")
  process.exit(await run(args.slice(1)))
}
const { exitUnlessSupported } = await import("@lingo-obs/otlp/EffectVersion")
const manifest = createRequire(import.meta.url)("../package.json")
exitUnlessSupported(manifest.name, manifest.peerDependencies.effect, import.meta.url)
const { main } = await load("Cli.js")
process.exitCode = await main(args)
