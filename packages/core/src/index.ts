// The user API of @covet/core. Dialect authors: see `@covet/core/dialect`.
export {
  CovetError,
  isCovetError,
  describeError,
  redactSecrets,
  EXIT_LOCK_TIMEOUT,
  EXIT_CHECKSUM_MISMATCH,
  EXIT_PARTIAL_MIGRATION,
  EXIT_MIGRATION_FILE_MISSING,
  EXIT_MIGRATION_CONFLICT,
} from './errors/covet-error.js';
export type {
  ColumnType,
  ColumnTypeName,
  SimpleColumnTypeName,
  LobSize,
  ColumnIdentity,
  ColumnGenerated,
  ArrayElementType,
  ColumnDefault,
  ColumnState,
  IndexState,
  ForeignKeyState,
  PrimaryKeyState,
  TableState,
  SchemaState,
  PluginObjects,
  PluginObjectTypes,
  PluginObjectOf,
  UnmanagedObject,
  SqlStatement,
  ReferentialAction,
} from './schema/types.js';
export { LOB_SIZES, REFERENTIAL_ACTIONS } from './schema/types.js';
export { t, ColumnBuilder, isColumnBuilder, columnStateOf, toColumnDefault } from './schema/column-builder.js';
export type { ColumnSpec, ColumnReference, ReferenceOptions } from './schema/column-builder.js';
export { sql, isSqlExpression } from './schema/sql-tag.js';
export type { SqlExpression } from './schema/sql-tag.js';
export {
  defineTable,
  isTableDefinition,
  buildTableState,
  normalizeTable,
  indexState,
  foreignKeyState,
} from './schema/define-table.js';
export type {
  TableDefinition,
  TableOptions,
  IndexOptions,
  ForeignKeyOptions,
  ColumnsShape,
} from './schema/define-table.js';
export {
  validateIdentifier,
  isValidIdentifier,
  identifierProblem,
  identifierLength,
  validateIdentifiersIn,
  describeCharacter,
  constraintName,
  DEFAULT_MAX_IDENTIFIER_LENGTH,
} from './schema/identifiers.js';
export type { IdentifierRules, IdentifierLengthUnit, IdentifierKind } from './schema/identifiers.js';
export { createNameRecord } from './schema/name-record.js';
export { elideLiterals } from './errors/elide-literals.js';
export type { ElideLiteralsOptions } from './errors/elide-literals.js';
export { identifierRulesOf } from './dialect/identifier-rules.js';
export { EMPTY_STATE, requireTable, getTable, tablesOf, withTable, sortedTables, stateFromTables } from './state/schema-state.js';
export {
  defineOperation,
  createOperation,
  isOperation,
  OperationRegistry,
  IRREVERSIBLE,
} from './operations/define-operation.js';
export type {
  Operation,
  BuiltinOperation,
  OperationDefinition,
  AnyOperationDefinition,
  PortableOperationDefinition,
  CompileContext,
  ValidationContext,
  SqlRenderer,
  WrittenOperation,
} from './operations/define-operation.js';
export { op } from './operations/op.js';
export { BUILTIN_OPERATIONS, BUILTIN_OPERATION_KINDS, isBuiltinOperationKind, builtinDefinition } from './operations/builtin/index.js';
export type { BuiltinDefinition, BuiltinDefinitions, BuiltinBuilderParams } from './operations/builtin/index.js';
// The code trees operation writers build (`write`), printed by @covet/writer-ts.
export * as codeTree from './writer/code-tree.js';
export type { Code, Literal as CodeLiteral } from './writer/code-tree.js';
export { compileOperationSql, operationSqlSource, checkOperationSql, dialectFamily, missingSqlError, missingSqlHint } from './operations/operation-sql.js';
export type { OperationSqlSource } from './operations/operation-sql.js';
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
  OperationArgs,
} from './operations/builtin/index.js';
export { COLUMN_TYPE_NAMES } from './operations/builtin/validate-args.js';
export {
  defineMigration,
  isMigrationDefinition,
  createMigration,
  computeChecksum,
  migrationId,
  resolveDependency,
  checkMeta,
} from './migration/define-migration.js';
export type { Migration, MigrationDefinition, MigrationCodeContext, MigrationMeta, JsonValue } from './migration/define-migration.js';
export { canonicalJson } from './migration/canonical-json.js';
export { createHooks, STAGE_EARLY, STAGE_DEFAULT, STAGE_LATE } from './hooks/hooks.js';
export type { Reporter, ReportLine } from './hooks/reporter.js';
export type {
  CovetHooks,
  Direction,
  RunHookContext,
  RunPlan,
  RunResult,
  MigrationHookContext,
  OperationHookContext,
  FailureHookContext,
  ChangesHookContext,
  ModelsHookContext,
  ModelExport,
  MigrationFile,
  MigrationFileHookContext,
} from './hooks/hooks.js';
export { Covet, createCovet, definePlugin, definePreset, BUILTIN_OPERATIONS_PLUGIN } from './plugin/covet.js';
export { isCovetPlugin, instantiatePlugin, splitPluginEntry } from './plugin/plugin-entry.js';
export type { PluginFactory, PluginEntry } from './plugin/plugin-entry.js';
export type { CovetPlugin, PresetDefinition, UseOptions, CreateCovetOptions } from './plugin/covet.js';
export { DialectRegistry, CommandRegistry } from './plugin/registries.js';
export type { CommandDefinition, CommandOption, CommandContext } from './plugin/registries.js';
export { defineConfig } from './config/define-config.js';
export type { CovetConfigInput, DatabaseConfigInput, AppConfigInput } from './config/define-config.js';
export { parseDatabaseUrl, redactUrl } from './config/database-url.js';
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
export type { OperationSqlTable } from './dialect/dialect.js';
export { quoteLiteral } from './dialect/quote-literal.js';
export { MigrationGraph } from './graph/migration-graph.js';
export type { GraphNode } from './graph/migration-graph.js';
export { branchesOf, changedObjects, conflictError, findConflicts, missingFilesError, overlappingChanges } from './graph/history.js';
export type { Branches, MigrationConflict } from './graph/history.js';
export { findMigration } from './graph/find-migration.js';
export { loadMigrations, findMigrationFiles, MigrationFiles, MIGRATION_EXTENSIONS } from './loader/migration-loader.js';
export type { MigrationEntry, MigrationSource, LoadMigrationsOptions, KnownMigration } from './loader/migration-loader.js';
export { MigrationCache } from './loader/migration-cache.js';
export type { CachedMigration } from './loader/migration-cache.js';
export { importModule, importModules, defaultExport } from './loader/import-module.js';
export { loadModels } from './loader/load-models.js';
export type { LoadModelsOptions, ModelsHookHost } from './loader/load-models.js';
export { defineModelObject, isModelObject } from './schema/define-model-object.js';
export type { ModelObject } from './schema/define-model-object.js';
export { getPluginObjects, getPluginObject, withPluginObject, pluginNamespaces } from './state/plugin-state.js';
export { diffPluginObjects } from './diff/plugin-changes.js';
export type { PluginObjectChanges } from './diff/plugin-changes.js';
export { MigrationEngine } from './diff/migration-engine.js';
export type { MigrationEngineOptions, RenameCandidate } from './diff/migration-engine.js';
export { columnChangeLosesData, isDestructive, isWideningType } from './diff/data-loss.js';
export { MigrationRunner } from './runner/migration-runner.js';
export { planMigrationSql } from './runner/plan-sql.js';
export type { PlanMigrationSqlOptions, MigrationSql, OperationSql } from './runner/plan-sql.js';
export { PlanCache, CORE_BUILD_ID } from './runner/plan-cache.js';
export type { CompiledStep } from './runner/plan-cache.js';
export type {
  RunEvent,
  MigrationRunnerOptions,
  MigrationStatus,
  RunSummary,
  MigrateOptions,
  RollbackOptions,
} from './runner/migration-runner.js';
// Covet's own tables are the runner's (its tracking store): only the tracking table's name is
// public. Their shape versions are in `@covet/core/testing`, for upgrade tests.
export { TRACKING_TABLE } from './runner/tracking-table.js';
export { resolveConfig, checkConfig, findConfigFile, databaseFromEnv, CONFIG_FILE_NAMES } from './config/resolve-config.js';
export type { ResolvedConfig, ResolvedApp, ConfigOverrides, ResolveConfigOptions } from './config/resolve-config.js';
export { replayMigrations, targetState } from './state/replay.js';
export type { ReplayedState } from './state/replay.js';
