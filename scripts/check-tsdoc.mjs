#!/usr/bin/env node
// node scripts/check-tsdoc.mjs: "TSDoc on every export", checked. For each package under packages/, every symbol its
// src/index.ts exports (re-exports followed) must have a /** */ comment, and so must each member of an exported class,
// interface, enum, or type alias of an object type (and of the object types directly inside a union or intersection
// alias): properties, methods, getters/setters, constructor parameter properties, enum members. Private, #private and
// protected members are exempt, and so is what is declared outside the package (a re-export from another package is
// checked there; Error's `message` is not ours). A member that overrides a documented one (an error subclass's
// narrower `code`) shows its base's comment in editors, so that counts. The package's types an exported one extends
// or names (`type VerifySuccess = VerifyResultBase<'SUCCESS'>`) are checked too, exported or not: users see their
// members. A parameter property's comment must start its own line (the .d.ts drops it otherwise). Prints `package: Type.member (file:line)` for
// each gap and exits 1 if any. Run after `pnpm build` (imports of the other packages resolve to their dist types).
import { relative, join, sep } from 'node:path'
import ts from 'typescript'
import { root, workspacePackages } from './workspace-packages.mjs'

/** The text of a symbol's doc comment as an editor shows it (a member's own, or else the one it overrides). */
function docOf (symbol, checker) {
  return ts.displayPartsToString(symbol?.getDocumentationComment(checker) ?? []).trim()
}

/**
 * Whether a constructor parameter property has a comment of its own that reaches the .d.ts: a @param tag does not
 * document the property, and the declaration emitter drops a comment with code before it on its line (`(/** x *\/ readonly x`).
 */
function paramDocumented (param) {
  const text = param.getSourceFile().text
  return ts.getJSDocCommentsAndTags(param).some((d) => ts.isJSDoc(d) && ts.getTextOfJSDocComment(d.comment)?.trim() &&
    text.slice(text.lastIndexOf('\n', d.getStart()) + 1, d.getStart()).trim() === '')
}

/** Whether a member is out of the public API: private, protected or #private. */
function hidden (member) {
  if (member.name && ts.isPrivateIdentifier(member.name)) return true
  const flags = ts.getCombinedModifierFlags(member)
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0
}

/** The documentable members declared in one declaration of an exported symbol (none for functions, variables...). */
function membersOf (decl) {
  if (ts.isInterfaceDeclaration(decl) || ts.isEnumDeclaration(decl)) return [...decl.members]
  if (ts.isClassDeclaration(decl)) {
    const params = decl.members.filter(ts.isConstructorDeclaration) // parameter properties sit on the implementation, not overloads
      .flatMap((ctor) => ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)))
    return [...decl.members.filter((m) => !ts.isConstructorDeclaration(m) && !ts.isClassStaticBlockDeclaration(m)), ...params]
  }
  if (ts.isTypeAliasDeclaration(decl)) {
    const literals = (type) => {
      while (ts.isParenthesizedTypeNode(type)) type = type.type
      return ts.isTypeLiteralNode(type) ? [type] : []
    }
    let type = decl.type
    while (ts.isParenthesizedTypeNode(type)) type = type.type
    const parts = ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type) ? type.types.flatMap(literals) : literals(type)
    return parts.flatMap((t) => [...t.members])
  }
  return []
}

/** Whether a member needs a comment: named properties, methods, accessors, parameter properties, enum members. */
function documentable (member) {
  return ts.isPropertySignature(member) || ts.isMethodSignature(member) || ts.isPropertyDeclaration(member) ||
    ts.isMethodDeclaration(member) || ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member) ||
    ts.isParameter(member) || ts.isEnumMember(member)
}

/** `file:line` of a node, the file relative to the repository root. */
function where (node) {
  const file = node.getSourceFile()
  const { line } = file.getLineAndCharacterOfPosition(node.getStart())
  return `${relative(root, file.fileName).split(sep).join('/')}:${line + 1}`
}

/** The gaps in one package: `Name (file:line)` or `Type.member (file:line)`, in the order of the exports. */
function gapsOf (pkg) {
  const config = ts.getParsedCommandLineOfConfigFile(join(pkg.dir, 'tsconfig.json'), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')) },
  })
  const entry = join(pkg.dir, 'src', 'index.ts')
  const program = ts.createProgram({ rootNames: [entry], options: { ...config.options, noEmit: true } })
  const checker = program.getTypeChecker()
  const ours = (decl) => !relative(join(pkg.dir, 'src'), decl.getSourceFile().fileName).startsWith('..')
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry))
  const gaps = []
  const seen = new Set()
  /** The package's own symbol a type node names (`Base<T>` in `extends Base<T>` or `= Base<T>`), if any. */
  const named = (node) => {
    while (ts.isParenthesizedTypeNode(node)) node = node.type
    const at = ts.isTypeReferenceNode(node) ? node.typeName : ts.isExpressionWithTypeArguments(node) ? node.expression : undefined
    let symbol = at && checker.getSymbolAtLocation(at)
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
    return symbol?.declarations?.some(ours) ? [symbol] : []
  }
  /** What a declaration builds on: the types it extends or implements, or that its alias names (one level into a union). */
  const basesOf = (decl) => {
    if (ts.isInterfaceDeclaration(decl) || ts.isClassDeclaration(decl)) return (decl.heritageClauses ?? []).flatMap((h) => h.types.flatMap(named))
    if (!ts.isTypeAliasDeclaration(decl)) return []
    const type = decl.type
    return ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type) ? type.types.flatMap(named) : named(type)
  }
  /** Checks the members of `symbol`, then of the package's types it builds on (exported or not: users see their members). */
  const walk = (symbol) => {
    if (seen.has(symbol)) return // exported under two names, or a base of several types: its members once
    seen.add(symbol)
    const decls = (symbol.declarations ?? []).filter(ours)
    const undocumented = new Map() // member name -> first declaration; a name documented anywhere (getter or setter) is fine
    for (const member of decls.flatMap(membersOf)) {
      if (!documentable(member) || hidden(member)) continue
      const name = `${symbol.name}.${member.name.getText()}`
      if (ts.isParameter(member) ? paramDocumented(member) : docOf(checker.getSymbolAtLocation(member.name), checker)) {
        undocumented.set(name, null)
      } else if (!undocumented.has(name)) undocumented.set(name, member)
    }
    for (const [name, member] of undocumented) if (member) gaps.push(`${name} (${where(member)})`)
    for (const base of decls.flatMap(basesOf)) walk(base)
  }
  for (const exported of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const decls = (symbol.declarations ?? []).filter(ours)
    if (decls.length === 0) continue
    if (!docOf(symbol, checker) && !docOf(exported, checker)) gaps.push(`${exported.name} (${where(decls[0])})`)
    walk(symbol)
  }
  return gaps
}

let total = 0
for (const pkg of workspacePackages()) {
  const gaps = gapsOf(pkg)
  total += gaps.length
  for (const gap of gaps) console.error(`${pkg.name}: ${gap}`)
}
if (total > 0) {
  console.error(`check-tsdoc: ${total} export(s) or member(s) without a TSDoc comment`)
  process.exit(1)
}
console.log('check-tsdoc: every export of every package, and each public member of its types, has a TSDoc comment')
