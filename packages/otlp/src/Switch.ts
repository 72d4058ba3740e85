/**
 * A switch shared by a layer and the processor or exporter it controls: the processor reads it
 * on every item, the layer's control flips it while the program runs.
 *
 * @example
 * ```ts
 * const exporting = new Switch(true)
 * exporting.on = false // finished data is no longer handed to the exporter
 * ```
 */
export class Switch {
  constructor(public on: boolean) {}
}
