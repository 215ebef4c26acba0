// `@covet/core/dialect`: what a dialect author needs, and nothing a model author does.
export { DIALECT_SPECIFICATION_VERSION } from './dialect/dialect.js';
export type {
  Dialect,
  DialectCapabilities,
  DialectConnection,
  DatabaseConfig,
  MigrationLockOptions,
  NamedObjectKind,
  NameScope,
  SchemaIntrospector,
  SqlLiteral,
} from './dialect/dialect.js';
export type { CompileContext, Operation, SqlRenderer, ValidationContext } from './operations/define-operation.js';
export { compileBuiltin, builtinOperationSql } from './dialect/builtin-compiler.js';
export { compileOperationSql, operationSqlSource, checkOperationSql, dialectFamily } from './operations/operation-sql.js';
export type { OperationSqlSource } from './operations/operation-sql.js';
export { BUILTIN_OPERATION_KINDS, isBuiltinOperationKind } from './operations/builtin/index.js';
export { DialectBase, standardLiteral } from './dialect/dialect-base.js';
export { quoteLiteral } from './dialect/quote-literal.js';
export { comparableExpression } from './dialect/comparable-expression.js';
export type { BuiltinOperationCompiler, BuiltinOperationRenderer, CompileResult, OperationSqlTable } from './dialect/builtin-compiler.js';
export type {
  ColumnState,
  ColumnType,
  ColumnDefault,
  IndexState,
  ForeignKeyState,
  PrimaryKeyState,
  TableState,
  SchemaState,
  UnmanagedObject,
  SqlStatement,
  ReferentialAction,
  LobSize,
  ColumnIdentity,
  ColumnGenerated,
  ArrayElementType,
} from './schema/types.js';
export type {
  CreateTableArgs,
  DropTableArgs,
  RenameTableArgs,
  AddColumnArgs,
  DropColumnArgs,
  AlterColumnArgs,
  RenameColumnArgs,
  CreateIndexArgs,
  DropIndexArgs,
  RenameIndexArgs,
  AddForeignKeyArgs,
  DropForeignKeyArgs,
  RunSqlArgs,
  BuiltinOperationArgs,
  BuiltinOperationKind,
  PortableBuiltinKind,
} from './operations/builtin/index.js';
export { CovetError, isCovetError, redactSecrets, EXIT_LOCK_TIMEOUT } from './errors/covet-error.js';
export { validateIdentifier, validateIdentifiersIn, identifierProblem, identifierLength, describeCharacter, constraintName } from './schema/identifiers.js';
export type { IdentifierRules, IdentifierLengthUnit, IdentifierKind } from './schema/identifiers.js';
export { identifierRulesOf } from './dialect/identifier-rules.js';
export { normalizeTable } from './schema/define-table.js';
export { createNameRecord } from './schema/name-record.js';
export { elideLiterals } from './errors/elide-literals.js';
export { requireTable, getTable, tablesOf, stateFromTables, EMPTY_STATE } from './state/schema-state.js';
export { parseDatabaseUrl } from './config/database-url.js';
