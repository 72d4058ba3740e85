/** Reading the shape of the config Schema: which fields are sections, maps or scalars. */
import * as AST from "effect/SchemaAST"

/** The node that says whether a field is a section, a map or a scalar. */
export const structure = (ast: AST.AST): AST.AST => {
  if (AST.isSuspend(ast)) return structure(ast.f())
  if (AST.isRefinement(ast) || AST.isTransformation(ast)) return structure(ast.from)
  if (AST.isUnion(ast)) {
    // `Schema.optional(Section)` encodes as `Section | undefined`.
    const defined = ast.types.filter((member) => !AST.isUndefinedKeyword(member))
    if (defined.length === 1) return structure(defined[0]!)
  }
  return ast
}

/** The field names of each section (a struct with named fields), by dotted path (`""` for the root). */
export const sectionFields = (ast: AST.AST): ReadonlyMap<string, ReadonlyMap<string, AST.AST>> => {
  const result = new Map<string, ReadonlyMap<string, AST.AST>>()
  const visit = (node: AST.AST, path: string): void => {
    const shape = structure(node)
    if (!AST.isTypeLiteral(shape) || shape.propertySignatures.length === 0) return
    const fields = new Map(shape.propertySignatures.map((property) => [String(property.name), property.type]))
    result.set(path, fields)
    for (const [name, type] of fields) visit(type, path === "" ? name : `${path}.${name}`)
  }
  visit(ast, "")
  return result
}
