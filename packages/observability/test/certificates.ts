/**
 * Throwaway certificates made with `openssl` at test time: a CA, leaves it signs (for given
 * names, or expired), and a client pair for mutual TLS.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const hasOpenssl = (): boolean => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

export interface Pair {
  readonly cert: Buffer
  readonly key: Buffer
  readonly certFile: string
  readonly keyFile: string
}

const openssl = (directory: string, args: ReadonlyArray<string>) =>
  execFileSync("openssl", args, { cwd: directory, stdio: ["ignore", "ignore", "pipe"] })

/** A CA in a fresh directory, and a function that makes leaves signed by it. */
export const makeCa = () => {
  const directory = mkdtempSync(join(tmpdir(), "lingo-obs-tls-"))
  openssl(directory, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.pem"])
  writeFileSync(join(directory, "index.txt"), "")
  writeFileSync(join(directory, "serial"), "1000\n")
  writeFileSync(
    join(directory, "ca.cnf"),
    [
      "[ca]",
      "default_ca = test",
      "[test]",
      `dir = ${directory}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir",
      "serial = $dir/serial",
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "[any]",
      "commonName = supplied"
    ].join("\n")
  )
  let count = 0
  /** A leaf for `names` (`DNS:localhost`, `IP:127.0.0.1`), valid now unless `expired`. */
  const leaf = (names: ReadonlyArray<string>, options: { readonly expired?: boolean } = {}): Pair => {
    const name = `leaf-${++count}`
    writeFileSync(join(directory, `${name}.ext`), `[v3]\nsubjectAltName=${names.join(",")}\n`)
    openssl(directory, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`])
    const dates = options.expired === true
      ? ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"]
      : ["-days", "1"]
    openssl(directory, [
      "ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", ...dates,
      "-extfile", `${name}.ext`, "-extensions", "v3", "-in", `${name}.csr`, "-out", `${name}.pem`
    ])
    const certFile = join(directory, `${name}.pem`)
    const keyFile = join(directory, `${name}.key`)
    return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile }
  }
  return { directory, caFile: join(directory, "ca.pem"), ca: readFileSync(join(directory, "ca.pem")), leaf }
}
