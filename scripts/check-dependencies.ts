/**
 * Checks every workspace package's manifest against its code, mechanically:
 *
 * - every package its `src/` imports (static, dynamic, `import type`, `typeof import(...)`,
 *   `require`/`requireModule`/`createRequire(...)(...)` of a literal) is a `dependency` or a
 *   `peerDependency` — a consumer gets nothing else;
 * - every `dependency` and `peerDependency` is imported by `src/` (unless listed in `PINNED` with the
 *   reason it is there without an import);
 * - every peer is also a dev dependency, so the workspace installs it;
 * - `test/` imports are declared by the package or the workspace root.
 *
 *   node --import tsx scripts/check-dependencies.ts      (exit 1 with one line per problem)
 */
import * as Fs from "node:fs"
import { builtinModules } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

/**
 * Declared without an import, on purpose. `@effect/opentelemetry` 0.64 has the OpenTelemetry SDK
 * packages as required peers with `^2.0.0`: npm installs the newest 2.x for any that is missing,
 * which drags a second `@opentelemetry/core` into the consumer's tree. Pinning them to the version
 * the OTLP serializers (`otlp-transformer` 0.223.0) were built against keeps one copy.
 */
export const PINNED: Readonly<Record<string, ReadonlyArray<string>>> = {
  "@lingo-obs/metrics": [
    "@opentelemetry/sdk-trace-node",
    "@opentelemetry/sdk-trace-web",
    "@opentelemetry/sdk-logs",
    "@opentelemetry/sdk-trace-base"
  ]
}

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

/** The module specifiers a TypeScript file loads, comments excluded. */
export const importsOf = (fileName: string, text: string): ReadonlyArray<string> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const found: Array<string> = []
  const literal = (node: ts.Node | undefined) => {
    if (node !== undefined && ts.isStringLiteralLike(node)) found.push(node.text)
  }
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      literal(node.moduleSpecifier)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      literal(node.argument.literal)
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

/** Package name → the files (relative to the package) that import it. */
const importedPackages = (directory: string, folder: string, self: string): Map<string, Array<string>> => {
  const result = new Map<string, Array<string>>()
  for (const file of sourceFiles(Path.join(directory, folder))) {
    for (const specifier of importsOf(file, Fs.readFileSync(file, "utf8"))) {
      const name = packageName(specifier)
      if (name === undefined || name === self) continue
      const files = result.get(name) ?? []
      files.push(Path.relative(directory, file))
      result.set(name, files)
    }
  }
  return result
}

/** The workspace's packages (`packages/*`), as directories. */
export const workspacePackages = (): ReadonlyArray<string> =>
  Fs.readdirSync(Path.join(ROOT, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && Fs.existsSync(Path.join(ROOT, "packages", entry.name, "package.json")))
    .map((entry) => Path.join(ROOT, "packages", entry.name))

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
    const pinned = new Set(PINNED[manifest.name] ?? [])

    const fromSrc = importedPackages(directory, "src", manifest.name)
    for (const [name, files] of fromSrc) {
      if (runtime[name] !== undefined) continue
      const hint = dev[name] !== undefined ? " (only a devDependency: consumers will not have it)" : ""
      problems.push(`${where}: ${files[0]} imports "${name}", which is not a dependency or peerDependency${hint}`)
    }
    for (const name of Object.keys(runtime)) {
      if (!fromSrc.has(name) && !pinned.has(name)) {
        problems.push(`${where}: declares "${name}" but src/ never imports it`)
      }
    }
    for (const name of pinned) {
      if (runtime[name] === undefined) problems.push(`${where}: PINNED lists "${name}", which is not declared`)
    }
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      if (dev[name] === undefined) problems.push(`${where}: peer "${name}" is not also a devDependency`)
    }
    for (const [name, files] of importedPackages(directory, "test", manifest.name)) {
      if (runtime[name] === undefined && dev[name] === undefined && !rootDeclared.has(name)) {
        problems.push(`${where}: ${files[0]} imports "${name}", declared neither here nor at the root`)
      }
    }
  }
  return problems
}

if (process.argv[1] !== undefined && Path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = check()
  for (const problem of problems) process.stderr.write(`${problem}\n`)
  process.stdout.write(problems.length === 0 ? "dependencies: every import declared, every declaration imported\n" : "")
  process.exitCode = problems.length === 0 ? 0 : 1
}
