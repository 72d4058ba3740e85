/**
 * Checks every workspace package's manifest against its code, mechanically:
 *
 * - every package its `src/` loads (static, dynamic, `require`/`requireModule`/`createRequire(...)(...)`
 *   of a literal) is a `dependency` or a `peerDependency` — a consumer gets nothing else; a type-only
 *   import (`import type`, `typeof import(...)`), erased from the JavaScript, may be a dev dependency
 *   (the tarball test type-checks the published declarations with `skipLibCheck: false`);
 * - every `dependency` and `peerDependency` is imported by `src/`;
 * - every peer is also a dev dependency, so the workspace installs it;
 * - `test/` imports are declared by the package or the workspace root;
 * - no two modules of a package import each other, directly or round a loop (`cycles`);
 * - no import runs upward (`layering`): the engine imports nothing of this repository and no Effect,
 *   the receiver and the dev tool stand on the engine only, `@lingo-obs/core` never imports a signal
 *   package, and inside core the `export/` folder never imports the `config/` folder.
 *
 *   node --import tsx scripts/check-dependencies.ts      (exit 1 with one line per problem)
 */
import * as Fs from "node:fs"
import { builtinModules } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
}

const readManifest = (directory: string): Manifest =>
  JSON.parse(Fs.readFileSync(Path.join(directory, "package.json"), "utf8")) as Manifest

const BUILTINS = new Set(builtinModules)

/** `@scope/name/deep/path` → `@scope/name`; `name/deep` → `name`; `undefined` for relative and built-in ids. */
export const packageName = (specifier: string): string | undefined => {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined
  const parts = specifier.split("/")
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!
  return BUILTINS.has(name) ? undefined : name
}

const REQUIRE_NAMES = new Set(["require", "requireModule"])

export interface Import {
  readonly specifier: string
  /** Erased from the JavaScript: `import type`, `export type`, `typeof import(...)`. */
  readonly typeOnly: boolean
}

/** The modules a TypeScript file imports, comments excluded. */
export const importsOf = (fileName: string, text: string): ReadonlyArray<Import> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const found: Array<Import> = []
  const literal = (node: ts.Node | undefined, typeOnly = false) => {
    if (node !== undefined && ts.isStringLiteralLike(node)) found.push({ specifier: node.text, typeOnly })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      literal(node.moduleSpecifier, node.importClause?.isTypeOnly === true)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      literal(node.moduleSpecifier, node.isTypeOnly)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      literal(node.argument.literal, true)
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression
      const loads = callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && REQUIRE_NAMES.has(callee.text)) ||
        // createRequire(import.meta.url)("module")
        (ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "createRequire")
      if (loads) literal(node.arguments[0])
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const sourceFiles = (directory: string): ReadonlyArray<string> => {
  if (!Fs.existsSync(directory)) return []
  return Fs.readdirSync(directory, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(m|c)?tsx?$/.test(file) && !file.endsWith(".d.ts"))
    .map((file) => Path.join(directory, file))
}

interface Usage {
  /** The files (relative to the package) that import it. */
  readonly files: Array<string>
  /** Whether any of those imports survives into the JavaScript. */
  loaded: boolean
}

/** Package name → how `folder` imports it. */
const importedPackages = (directory: string, folder: string, self: string): Map<string, Usage> => {
  const result = new Map<string, Usage>()
  for (const file of sourceFiles(Path.join(directory, folder))) {
    for (const { specifier, typeOnly } of importsOf(file, Fs.readFileSync(file, "utf8"))) {
      const name = packageName(specifier)
      if (name === undefined || name === self) continue
      const usage = result.get(name) ?? { files: [], loaded: false }
      usage.files.push(Path.relative(directory, file))
      usage.loaded ||= !typeOnly
      result.set(name, usage)
    }
  }
  return result
}

/** The workspace's packages (`packages/*`), as directories. */
export const workspacePackages = (): ReadonlyArray<string> =>
  Fs.readdirSync(Path.join(ROOT, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && Fs.existsSync(Path.join(ROOT, "packages", entry.name, "package.json")))
    .map((entry) => Path.join(ROOT, "packages", entry.name))

/**
 * The floors: the workspace packages each package may import (its own name aside). A package missing
 * here is a problem too, so a new package says where it stands. `lingo-obs` is the Effect 4 line.
 */
export const LAYERS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "@lingo-obs/otlp": [],
  "@lingo-obs/otlp-receiver": ["@lingo-obs/otlp"],
  "@lingo-obs/dev": ["@lingo-obs/otlp", "@lingo-obs/otlp-receiver"],
  "@lingo-obs/core": ["@lingo-obs/otlp"],
  "@lingo-obs/tracing": ["@lingo-obs/otlp", "@lingo-obs/core"],
  "@lingo-obs/metrics": ["@lingo-obs/otlp", "@lingo-obs/core"],
  "@lingo-obs/logs": ["@lingo-obs/otlp", "@lingo-obs/core"],
  "@lingo-obs/http-middleware": ["@lingo-obs/otlp", "@lingo-obs/core"],
  "@lingo-obs/observability": [
    "@lingo-obs/otlp",
    "@lingo-obs/core",
    "@lingo-obs/tracing",
    "@lingo-obs/metrics",
    "@lingo-obs/logs",
    "@lingo-obs/http-middleware"
  ],
  "@lingo-obs/cli": [
    "@lingo-obs/otlp",
    "@lingo-obs/core",
    "@lingo-obs/tracing",
    "@lingo-obs/metrics",
    "@lingo-obs/logs",
    "@lingo-obs/http-middleware",
    "@lingo-obs/observability",
    "@lingo-obs/otlp-receiver",
    "@lingo-obs/dev"
  ],
  "lingo-obs": ["@lingo-obs/otlp"]
}

/** Packages that run in a project without Effect: their `src/` (and the engine's tests) load no `effect` or `@effect/*`. */
export const EFFECT_FREE: ReadonlySet<string> = new Set(["@lingo-obs/otlp", "@lingo-obs/otlp-receiver", "@lingo-obs/dev"])

/**
 * Inside `@lingo-obs/core`, `export/` sits below `config/` (config decodes, export sends). Files that
 * still import `config/` while a move is under way are listed here; the check reports any that no
 * longer does so, so that the list only shrinks. Empty since the transports moved into the engine.
 */
export const KNOWN_UPWARD: ReadonlySet<string> = new Set([])

/** One import of one file: `file` relative to the repository root, `pkg` the importing package's name. */
export interface Edge {
  readonly pkg: string
  readonly file: string
  readonly specifier: string
}

/** Every import of every workspace package's `src/` and `test/`, as edges. */
export const importGraph = (directories: ReadonlyArray<string> = workspacePackages()): ReadonlyArray<Edge> =>
  directories.flatMap((directory) => {
    const pkg = readManifest(directory).name
    return ["src", "test"].flatMap((folder) =>
      sourceFiles(Path.join(directory, folder)).flatMap((file) =>
        importsOf(file, Fs.readFileSync(file, "utf8")).map(({ specifier }) => ({
          pkg,
          file: Path.relative(ROOT, file).split(Path.sep).join("/"),
          specifier
        }))
      )
    )
  })

const isEffect = (name: string): boolean => name === "effect" || name.startsWith("@effect/")

/**
 * Every import that runs upward, one line each. Type-only imports count: a declaration that names
 * an upper floor ties the lower one to it just the same.
 */
export const layering = (
  edges: ReadonlyArray<Edge>,
  workspace: ReadonlySet<string>,
  knownUpward: ReadonlySet<string> = KNOWN_UPWARD
): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const unplaced = new Set<string>()
  const upwardSeen = new Set<string>()
  for (const { pkg, file, specifier } of edges) {
    const allowed = LAYERS[pkg]
    if (allowed === undefined) {
      if (!unplaced.has(pkg)) problems.push(`${pkg}: not in scripts/check-dependencies.ts LAYERS; say which packages it may import`)
      unplaced.add(pkg)
      continue
    }
    const inSrc = file.includes("/src/")
    const name = packageName(specifier)
    if (name !== undefined && name !== pkg && inSrc && workspace.has(name) && !allowed.includes(name)) {
      problems.push(`${file} imports "${name}": ${pkg} may import only ${allowed.length === 0 ? "no package of this repository" : allowed.join(", ")}`)
    }
    if (name !== undefined && isEffect(name) && EFFECT_FREE.has(pkg) && (inSrc || pkg === "@lingo-obs/otlp")) {
      problems.push(`${file} imports "${name}": ${pkg} runs without Effect`)
    }
    if (pkg === "@lingo-obs/core" && file.includes("/src/export/") && specifier.startsWith(".")) {
      const target = Path.posix.normalize(Path.posix.join(Path.posix.dirname(file), specifier))
      if (target.includes("/src/config/")) {
        if (knownUpward.has(file)) upwardSeen.add(file)
        else problems.push(`${file} imports "${specifier}": core's export/ must not import config/ (pass plain settings down instead)`)
      }
    }
  }
  const coreChecked = edges.some((edge) => edge.pkg === "@lingo-obs/core")
  for (const file of knownUpward) {
    if (coreChecked && !upwardSeen.has(file)) {
      problems.push(`${file} no longer imports config/: remove it from KNOWN_UPWARD in scripts/check-dependencies.ts`)
    }
  }
  return problems
}

/** The repository file a relative specifier of `file` names (`./a.js` → `dir/a.ts`), or `undefined`. */
const resolveRelative = (file: string, specifier: string, files: ReadonlySet<string>): string | undefined => {
  if (!specifier.startsWith(".")) return undefined
  const target = Path.posix.normalize(Path.posix.join(Path.posix.dirname(file), specifier))
  const candidates = [target, target.replace(/\.(m|c)?js$/, ".$1ts"), `${target}.ts`, `${target}/index.ts`]
  return candidates.find((candidate) => files.has(candidate))
}

/**
 * Import cycles tolerated, each as files the cycle goes through: none today. The check reports an
 * entry no cycle goes through any more, so that the list only shrinks.
 */
export const KNOWN_CYCLES: ReadonlyArray<ReadonlyArray<string>> = []

/**
 * Every import cycle among a package's own `src/` files, one line each (type-only imports count:
 * a module that needs another's types to be understood depends on it). Tarjan's strongly
 * connected components over the relative imports.
 */
export const cycles = (
  edges: ReadonlyArray<Edge>,
  known: ReadonlyArray<ReadonlyArray<string>> = KNOWN_CYCLES
): ReadonlyArray<string> => {
  const sources = edges.filter(({ file }) => file.includes("/src/"))
  const files = new Set(sources.map(({ file }) => file))
  const next = new Map<string, Set<string>>()
  for (const { file, specifier } of sources) {
    const target = resolveRelative(file, specifier, files)
    if (target !== undefined) next.set(file, (next.get(file) ?? new Set()).add(target))
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const found: Array<string> = []
  const visit = (file: string): void => {
    index.set(file, index.size)
    low.set(file, index.get(file)!)
    stack.push(file)
    onStack.add(file)
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(file, Math.min(low.get(file)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!))
      }
    }
    if (low.get(file) !== index.get(file)) return
    const component: Array<string> = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || next.get(file)?.has(file) === true) {
      const tolerated = known.findIndex((entry) => entry.every((member) => component.includes(member)))
      if (tolerated >= 0) seen.add(tolerated)
      else found.push(`import cycle: ${component.sort().join(" <-> ")} (move what both need into a module of its own)`)
    }
  }
  const seen = new Set<number>()
  for (const file of [...files].sort()) if (!index.has(file)) visit(file)
  known.forEach((entry, at) => {
    if (!seen.has(at) && entry.every((member) => files.has(member))) {
      found.push(`no import cycle goes through ${entry.join(" and ")} any more: remove it from KNOWN_CYCLES in scripts/check-dependencies.ts`)
    }
  })
  return found
}

/** Every problem found, one readable line each; empty when the manifests match the code. */
export const check = (directories: ReadonlyArray<string> = workspacePackages()): ReadonlyArray<string> => {
  const root = readManifest(ROOT)
  const rootDeclared = new Set(Object.keys({ ...root.dependencies, ...root.devDependencies }))
  const problems: Array<string> = []
  for (const directory of directories) {
    const manifest = readManifest(directory)
    const where = `${manifest.name} (${Path.relative(ROOT, directory)}/package.json)`
    const runtime = { ...manifest.dependencies, ...manifest.peerDependencies }
    const dev = manifest.devDependencies ?? {}

    const fromSrc = importedPackages(directory, "src", manifest.name)
    // The Effect 4 line's built entry (written by scripts/build-package.ts) checks the app's effect
    // through the engine's EffectVersion before it loads src/.
    if (manifest.peerDependencies?.["effect"]?.startsWith("^4.") === true && !fromSrc.has("@lingo-obs/otlp")) {
      fromSrc.set("@lingo-obs/otlp", { files: ["dist/entry.js"], loaded: true })
    }
    for (const [name, { files, loaded }] of fromSrc) {
      if (runtime[name] !== undefined || (!loaded && dev[name] !== undefined)) continue
      const hint = dev[name] !== undefined ? " (only a devDependency: consumers will not have it)" : ""
      problems.push(`${where}: ${files[0]} imports "${name}", which is not a dependency or peerDependency${hint}`)
    }
    for (const name of Object.keys(runtime)) {
      if (!fromSrc.has(name)) {
        problems.push(`${where}: declares "${name}" but src/ never imports it`)
      }
    }
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      if (dev[name] === undefined) problems.push(`${where}: peer "${name}" is not also a devDependency`)
    }
    for (const [name, { files }] of importedPackages(directory, "test", manifest.name)) {
      if (runtime[name] === undefined && dev[name] === undefined && !rootDeclared.has(name)) {
        problems.push(`${where}: ${files[0]} imports "${name}", declared neither here nor at the root`)
      }
    }
  }
  const workspace = new Set(directories.map((directory) => readManifest(directory).name))
  const graph = importGraph(directories)
  problems.push(...layering(graph, workspace), ...cycles(graph))
  return problems
}

if (process.argv[1] !== undefined && Path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = check()
  for (const problem of problems) process.stderr.write(`${problem}\n`)
  process.stdout.write(problems.length === 0 ? "dependencies: every import declared, every declaration imported, none upward\n" : "")
  process.exitCode = problems.length === 0 ? 0 : 1
}
