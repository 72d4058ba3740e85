/** Where a command writes; tests capture it, the `lingo-obs` binary writes to the process's streams. */
export interface Output {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

export const processOutput: Output = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`)
}
