/**
 * Bundles the viewer (Preact + uPlot) with esbuild into static assets: `dist/ui/index.html`,
 * `app.js`, `app.css`. No CDN: everything the page loads is in that folder.
 *
 *   node --import tsx packages/dev/scripts/buildUi.ts [outdir]
 */
import { build } from "esbuild"
import { copyFile, mkdir } from "node:fs/promises"
import { fileURLToPath } from "node:url"

const PACKAGE = fileURLToPath(new URL("../", import.meta.url))

export const defaultOutdir = `${PACKAGE}dist/ui`

/** Builds the viewer into `outdir`; resolves to the files written. */
export const buildUi = async (outdir: string = defaultOutdir): Promise<Array<string>> => {
  await mkdir(outdir, { recursive: true })
  const result = await build({
    entryPoints: { app: `${PACKAGE}ui/main.tsx` },
    outdir,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "linked",
    metafile: true,
    logLevel: "warning"
  })
  await copyFile(`${PACKAGE}ui/index.html`, `${outdir}/index.html`)
  return [...Object.keys(result.metafile.outputs), `${outdir}/index.html`]
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildUi(process.argv[2])
  console.log(`viewer built: ${files.join(", ")}`)
}
