#!/usr/bin/env node
// node scripts/check-tsdoc.mjs: "TSDoc on every export", checked. For each package under packages/, every symbol its
// src/index.ts exports (re-exports followed) must have a /** */ comment, and so must each member of an exported class,
// interface or enum: properties, methods, getters/setters, constructor parameter properties, enum members. So must
// each member of an inline object type (`{ ... }`) anywhere in what users see, at any depth: an alias's type, a
// member's type, array and tuple elements, union, intersection and generic-argument parts (`Array<{ id: string }>`,
// `Base<{ ... }>` in an extends clause), type parameters' constraints and defaults, and the parameters and return type
// of an exported function, constructor, method, call signature or function-typed member (`f (o: { x: number }):
// { y: string }`). A gap prints as `Type.member.nested`, a parameter's as `f(o).x`, a return's as `f().y`, a
// constructor's as `new C(options).cause`. Private, #private and protected members are exempt, as is the
// implementation signature of an overloaded function (not in the .d.ts), and so is what is declared outside the
// package (a re-export from another package is checked there; Error's `message` is not ours). A member that
// overrides a documented one (an error subclass's narrower `code`) shows its base's comment in editors, so that
// counts; so does one comment on a member path declared more than once (a getter and its setter, a member of several
// union parts or of each overload's parameter: document each all the same, editors show them apart). The package's
// types an exported one extends or names (`type VerifySuccess = VerifyResultBase<'SUCCESS'>`) are checked too,
// exported or not: users see their members. A parameter property's comment must start its own line (the .d.ts drops
// it otherwise). Prints `package: Type.member (file:line)` for each gap and exits 1 if any. Run after `pnpm build`
// (imports of the other packages resolve to their dist types).
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

/** The members declared in one class, interface or enum declaration (none for aliases, functions, variables...). */
function membersOf (decl) {
  if (ts.isInterfaceDeclaration(decl) || ts.isEnumDeclaration(decl)) return [...decl.members]
  if (ts.isClassDeclaration(decl)) {
    const params = decl.members.filter(ts.isConstructorDeclaration) // parameter properties sit on the implementation, not overloads
      .flatMap((ctor) => ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)))
    return [...decl.members.filter((m) => !ts.isConstructorDeclaration(m) && !ts.isClassStaticBlockDeclaration(m)), ...params]
  }
  return []
}

/**
 * The inline object type literals (`{ ... }`) a type node or signature shows, at any depth (members' types, array and
 * tuple elements, union, intersection and generic-argument parts, a function type's parameters and return), each with
 * the path that names it: `path(param)` for a parameter's type, `path()` for a return type.
 */
function literalsIn (node, path) {
  if (!node) return []
  if (ts.isTypeLiteralNode(node)) return [{ literal: node, path }]
  if (ts.isFunctionLike(node)) { // a signature: its parameters, return and type parameters, never a body
    return [...node.parameters.flatMap((p) => literalsIn(p.type, `${path}(${p.name.getText().replace(/\s+/g, ' ')})`)),
      ...literalsIn(node.type, `${path}()`), ...typeParameterLiterals(node, path)]
  }
  const found = []
  ts.forEachChild(node, (child) => { found.push(...literalsIn(child, path)) })
  return found
}

/** The literals in the constraints and defaults of a declaration's type parameters (`<T extends { ... }>`). */
function typeParameterLiterals (decl, path) {
  return (decl.typeParameters ?? []).flatMap((t) => [...literalsIn(t.constraint, path), ...literalsIn(t.default, path)])
}

/** The literals in the type of one member (its parameters and return for a method or call signature) named `path`. */
function memberLiterals (member, path) {
  if (ts.isIndexSignatureDeclaration(member)) return literalsIn(member.type, `${path}[${member.parameters[0].name.getText()}]`)
  if (ts.isSetAccessorDeclaration(member)) return literalsIn(member.parameters[0]?.type, path)
  if (ts.isFunctionLike(member) && !ts.isGetAccessorDeclaration(member)) return literalsIn(member, path)
  return literalsIn(member.type, path) // a property, getter, parameter property or enum member (none)
}

/**
 * The literals in an exported declaration's own signature, named from `name`: an alias's type, a function's or a
 * variable's type, the type arguments a class or interface passes to what it extends, constructors' parameters.
 */
function declarationLiterals (decl, name, checker) {
  if (ts.isTypeAliasDeclaration(decl)) return [...literalsIn(decl.type, name), ...typeParameterLiterals(decl, name)]
  if (ts.isFunctionDeclaration(decl)) return checker.isImplementationOfOverload(decl) ? [] : literalsIn(decl, name)
  if (ts.isVariableDeclaration(decl)) return literalsIn(decl.type, name)
  if (!ts.isClassDeclaration(decl) && !ts.isInterfaceDeclaration(decl)) return []
  const ctors = decl.members.filter((m) => ts.isConstructorDeclaration(m) && !hidden(m) && !checker.isImplementationOfOverload(m))
  return [...typeParameterLiterals(decl, name), ...(decl.heritageClauses ?? []).flatMap((h) => h.types.flatMap((t) => literalsIn(t, name))),
    ...ctors.flatMap((c) => literalsIn(c, `new ${name}`))]
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
    const undocumented = new Map() // member path -> first declaration; a path documented anywhere (getter or setter) is fine
    const literals = new Set() // each literal once (a parameter property's type is also its constructor parameter's)
    /** Records the members of one object type as `prefix.name`, then the members of the literals in their types. */
    const check = (members, prefix) => {
      for (const member of members) {
        if (hidden(member)) continue
        const path = member.name ? `${prefix}.${member.name.getText()}` : prefix // a call or index signature has none
        if (documentable(member)) {
          if (ts.isParameter(member) ? paramDocumented(member) : docOf(checker.getSymbolAtLocation(member.name), checker)) {
            undocumented.set(path, null)
          } else if (!undocumented.has(path)) undocumented.set(path, member)
        }
        if (!(ts.isFunctionLike(member) && checker.isImplementationOfOverload(member))) nested(memberLiterals(member, path))
      }
    }
    /** Checks the members of each literal not seen yet. */
    const nested = (found) => {
      for (const { literal, path } of found) if (!literals.has(literal)) { literals.add(literal); check(literal.members, path) }
    }
    for (const decl of decls) check(membersOf(decl), symbol.name)
    for (const decl of decls) nested(declarationLiterals(decl, symbol.name, checker))
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
