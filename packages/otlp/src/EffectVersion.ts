/**
 * Which Effect line the app runs, for the start-up check of both toolkit lines: the Effect 3 line
 * (`@lingo-obs/*`, `effect ^3.22`) and the Effect 4 line (`lingo-obs`, `effect ^4.1`). Each line's
 * published entry checks the app's `effect` before it loads any module that imports it (an ES module
 * graph is resolved whole before any of it runs, so the wrong line would otherwise fail with an
 * `ERR_MODULE_NOT_FOUND` deep in `effect/dist`, or worse, run half-way).
 *
 * No Effect here: the version is read from `effect/package.json`, which every Effect version exports,
 * and the message names the package of the line the app is on.
 *
 * @example
 * ```ts
 * import { exitUnlessSupported } from "@lingo-obs/otlp/EffectVersion"
 *
 * exitUnlessSupported("lingo-obs", "^4.1.0", import.meta.url) // one line on stderr and exit 1 on Effect 3
 * const { ObservabilityLive } = await import("./index.js")
 * ```
 */
import { createRequire } from "node:module"

/** The toolkit's package and install line for each Effect major version. */
export const LINES: Readonly<Record<number, { readonly package: string; readonly install: string }>> = {
  3: {
    package: "@lingo-obs/observability",
    install: "npm install @lingo-obs/observability effect@^3.22 @effect/platform@^0.97 @effect/platform-node@^0.108"
  },
  4: { package: "lingo-obs", install: "npm install lingo-obs effect@^4.1 @effect/platform-node@^4.1" }
}

/** The app's `effect`: its version and where it is installed. */
export interface Installed {
  readonly version: string
  readonly path: string
}

/** The `effect` that `from` (a file path or URL) would load; `undefined` when there is none. */
export const installed = (from: string | URL): Installed | undefined => {
  try {
    const require = createRequire(from)
    const path = require.resolve("effect/package.json")
    return { version: (require(path) as { readonly version: string }).version, path: path.replace(/[\\/]package\.json$/, "") }
  } catch {
    return undefined
  }
}

const numbers = (version: string): readonly [number, number, number] | undefined => {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version)
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])]
}

/**
 * Whether `version` satisfies a caret range (`^3.22.0`: same major, at least that minor and
 * patch), the only form the toolkit's peer ranges use. A pre-release of the minimum is not enough.
 */
export const satisfies = (version: string, range: string): boolean => {
  const minimum = range.startsWith("^") ? numbers(range.slice(1)) : undefined
  if (minimum === undefined) throw new Error(`EffectVersion: unsupported range ${JSON.stringify(range)} (expected ^X.Y.Z)`)
  const actual = numbers(version)
  if (actual === undefined || actual[0] !== minimum[0]) return false
  for (const index of [1, 2] as const) {
    if (actual[index] !== minimum[index]) return actual[index] > minimum[index]
  }
  return !version.includes("-")
}

/**
 * One line saying why `loadedBy` cannot run with `found` and what to do: on the other Effect line,
 * the toolkit package for that line; otherwise the `effect` to install. `undefined` when supported.
 */
export const problem = (loadedBy: string, range: string, found: Installed | undefined): string | undefined => {
  if (found !== undefined && satisfies(found.version, range)) return undefined
  const wanted = numbers(range.slice(1))?.[0] ?? 0
  const own = LINES[wanted]
  const what = found === undefined ? "effect is not installed" : `this app has effect ${found.version} (${found.path})`
  const major = found === undefined ? undefined : numbers(found.version)?.[0]
  const other = major !== undefined && major !== wanted ? LINES[major] : undefined
  const remedy = other !== undefined
    ? `for Effect ${major} use ${other.package} instead (${other.install}), or move the app to effect ${range}`
    : `install a supported effect: ${own?.install ?? `npm install effect@${range}`}`
  return `${loadedBy} needs effect ${range}, but ${what}: ${remedy}.`
}

/**
 * The start-up check of a published entry: when the `effect` that `from` resolves is outside
 * `range`, one line on stderr (no stack: nothing of the toolkit's code would help) and exit 1.
 */
export const exitUnlessSupported = (loadedBy: string, range: string, from: string | URL): void => {
  const line = problem(loadedBy, range, installed(from))
  if (line === undefined) return
  process.stderr.write(`${line}\n`)
  process.exit(1)
}
