/**
 * Builds packages the way they are published: `tsc -b` (JavaScript, declarations, source maps to
 * `dist/`), then what tsc cannot write:
 *
 * - for a package with an `effect` peer, `dist/entry.js`, the module its `exports` load (and each
 *   subpath's `dist/<subpath>/entry.js`, as `lingo-obs/http` and `lingo-obs/grpc`): it checks
 *   the app's `effect` version against the package's line (Effect 3: `@lingo-obs/core/EffectVersion`;
 *   `lingo-obs`, Effect 4: `@lingo-obs/otlp/EffectVersion`) and only then imports the `index.js`
 *   beside it, so a wrong Effect is one clear error instead of an `ERR_MODULE_NOT_FOUND` deep in
 *   `effect/dist` (an ES module graph is resolved whole before any of it runs);
 * - for `@lingo-obs/core`, `dist/config.schema.json` (the `@lingo-obs/core/config.schema.json` export);
 *   for `lingo-obs`, the same document copied from `schema/` (its `config schema` command prints it).
 *
 *   node --import tsx scripts/build-package.ts            (the package in the current directory: prepack)
 *   node --import tsx scripts/build-package.ts --all      (every package: pnpm build)
 *
 * As `npm pack`'s prepack it stops at once with the command to use instead.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc")

interface Manifest {
  readonly name: string
  readonly peerDependencies?: Readonly<Record<string, string>>
  readonly exports?: Readonly<Record<string, unknown>>
}

/** The directories of the projects a `tsconfig.build.json` references. */
const references = (directory: string): ReadonlyArray<string> => {
  const config = JSON.parse(Fs.readFileSync(Path.join(directory, "tsconfig.build.json"), "utf8")) as {
    readonly references?: ReadonlyArray<{ readonly path: string }>
  }
  return (config.references ?? []).map((reference) => Path.dirname(Path.resolve(directory, reference.path)))
}

/** The packages tsc builds for `directory`, dependencies first: each gets its after-tsc steps too. */
const buildOrder = (directory: string, seen = new Set<string>()): ReadonlyArray<string> => {
  if (seen.has(directory)) return []
  seen.add(directory)
  const below = references(directory).flatMap((reference) => buildOrder(reference, seen))
  return directory === ROOT ? below : [...below, directory]
}

/**
 * The guarded entry: the check, then the package's index, re-exported name by name. On the wrong
 * Effect the check writes one line (naming the toolkit's package for the app's Effect line) and
 * exits: a stack would only point into the toolkit. The Effect 3 line checks through
 * `@lingo-obs/core/EffectVersion` (its range is core's peer); `lingo-obs`, the Effect 4 line,
 * through the engine's, with its own peer range.
 */
const entrySource = (manifest: Manifest, loadedBy: string, names: ReadonlyArray<string>): string => {
  const range = manifest.peerDependencies!["effect"]!
  const check = range.startsWith("^3.")
    ? [
      `import { assertSupported, UnsupportedEffectError } from ${JSON.stringify(manifest.name === "@lingo-obs/core" ? "./EffectVersion.js" : "@lingo-obs/core/EffectVersion")}`,
      `try {`,
      `  assertSupported(${JSON.stringify(loadedBy)})`,
      `} catch (error) {`,
      `  if (!(error instanceof UnsupportedEffectError)) throw error`,
      `  process.stderr.write(\`\${error.message}\\n\`)`,
      `  process.exit(1)`,
      `}`
    ]
    : [
      `import { exitUnlessSupported } from "@lingo-obs/otlp/EffectVersion"`,
      `exitUnlessSupported(${JSON.stringify(loadedBy)}, ${JSON.stringify(range)}, import.meta.url)`
    ]
  return [
    "// Written by scripts/build-package.ts. Checks the app's effect before loading any module that imports it.",
    ...check,
    `const module = await import("./index.js")`,
    `export const { ${names.join(", ")} } = module`,
    ""
  ].join("\n")
}

/**
 * The guarded entries of a package: `dist/entry.js` (`.`) and every `exports` subpath whose module
 * is a `dist/<subpath>/entry.js`, each with the name its check reports (`lingo-obs/http`).
 */
const guardedEntries = (manifest: Manifest): ReadonlyArray<{ readonly loadedBy: string; readonly directory: string }> => {
  const subpaths = Object.entries(manifest.exports ?? {}).flatMap(([subpath, target]) => {
    const file = typeof target === "object" && target !== null ? (target as { readonly default?: unknown }).default : undefined
    const match = subpath === "." || typeof file !== "string" ? null : /^\.\/dist\/(.+)\/entry\.js$/.exec(file)
    return match === null ? [] : [{ loadedBy: `${manifest.name}${subpath.slice(1)}`, directory: match[1]! }]
  })
  return [{ loadedBy: manifest.name, directory: "." }, ...subpaths]
}

const afterTsc = async (directory: string): Promise<void> => {
  const manifest = JSON.parse(Fs.readFileSync(Path.join(directory, "package.json"), "utf8")) as Manifest
  const dist = Path.join(directory, "dist")
  if (manifest.peerDependencies?.["effect"] !== undefined) {
    for (const entry of guardedEntries(manifest)) {
      const index = (await import(pathToFileURL(Path.join(dist, entry.directory, "index.js")).href)) as Record<string, unknown>
      Fs.writeFileSync(Path.join(dist, entry.directory, "entry.js"), entrySource(manifest, entry.loadedBy, Object.keys(index)))
    }
  }
  if (manifest.name === "@lingo-obs/core") {
    const ConfigSchema = (await import(pathToFileURL(Path.join(dist, "config", "ConfigSchema.js")).href)) as {
      readonly text: () => string
    }
    Fs.writeFileSync(Path.join(dist, "config.schema.json"), ConfigSchema.text())
  }
  if (manifest.name === "lingo-obs") {
    // One config file format for both lines: the document generated from the Effect 3 Schema.
    Fs.copyFileSync(Path.join(ROOT, "schema", "observability-config.schema.json"), Path.join(dist, "config.schema.json"))
  }
  if (manifest.name === "@lingo-obs/dev") {
    // The viewer (Preact + uPlot), type-checked, then bundled into dist/ui, which the server serves.
    execFileSync(process.execPath, [TSC, "-p", Path.join(directory, "ui", "tsconfig.json")], { stdio: "inherit" })
    const { buildUi } = (await import(pathToFileURL(Path.join(directory, "scripts", "buildUi.ts")).href)) as {
      readonly buildUi: (outdir: string) => Promise<ReadonlyArray<string>>
    }
    await buildUi(Path.join(dist, "ui"))
  }
}

const modified = (file: string): number => (Fs.existsSync(file) ? Fs.statSync(file).mtimeMs : 0)

/**
 * Whether a referenced package's after-tsc output is older than its tsc output. `pnpm -r pack`
 * runs the packages' prepacks in parallel, dependencies first: a package then leaves its
 * up-to-date dependencies' files alone instead of rewriting them while another prepack reads them.
 */
const stale = (directory: string): boolean => {
  const dist = Path.join(directory, "dist")
  return modified(Path.join(dist, "entry.js")) < modified(Path.join(dist, "index.js")) ||
    modified(Path.join(dist, "config.schema.json")) < modified(Path.join(dist, "config", "ConfigSchema.js"))
}

// `npm pack` / `npm publish` keep the `workspace:*` ranges, so their tarball cannot be installed:
// stop them before the build with the command that works.
if (process.env["npm_lifecycle_event"] === "prepack" && process.env["npm_config_user_agent"]?.startsWith("npm/")) {
  process.stderr.write("npm pack keeps workspace:* ranges: use `pnpm pack` here, or `pnpm pack:all <dir>` at the repository root\n")
  process.exit(1)
}

const target = process.argv.includes("--all") ? ROOT : process.cwd()
execFileSync(process.execPath, [TSC, "-b", Path.join(target, "tsconfig.build.json")], { stdio: "inherit" })
for (const directory of buildOrder(target)) {
  if (directory === target || process.argv.includes("--all") || stale(directory)) await afterTsc(directory)
}
