import {
  builtinDefinition,
  CovetError,
  isBuiltinOperationKind,
  op,
  sql,
  t,
  type Operation,
  type OperationRegistry,
  type WrittenOperation,
} from '@covet/core';
import { call, commented, evaluateCode, literal, raw, sameData, valueCode, type Code } from './code-tree.js';

/** A named import a written operation needs. */
export interface CodeImport {
  readonly from: string;
  readonly names: readonly string[];
}

/** The code of one operation and the imports it needs besides `@covet/core`'s `op`, `t`, `sql`. */
export interface OperationCode {
  readonly code: Code;
  readonly imports: readonly CodeImport[];
}

/** What generated code may use from `@covet/core`, and what it evaluates to here. */
const CORE_SCOPE: Readonly<Record<string, unknown>> = Object.freeze({ op, t, sql });

/**
 * The code that rebuilds `operation` in a migration file: its definition's `write` (a built-in
 * kind's writes its `op.<kind>(...)` call as a code tree; a plugin's may return text), or
 * `op.custom(kind, args)` without one. A code tree is evaluated here and compared with the
 * operation; when it cannot rebuild the arguments exactly (data made by hand that no builder
 * produces), the operation is written as data with `op.custom`.
 *
 * @param where names the operation in errors (`operation #2`)
 */
export function operationCode(operation: Operation, registry: OperationRegistry | undefined, where: string): OperationCode {
  const definition = registry?.has(operation.kind)
    ? registry.get(operation.kind)
    : isBuiltinOperationKind(operation.kind)
      ? (builtinDefinition(operation.kind) as { write?: (args: unknown) => WrittenOperation })
      : undefined;
  if (!definition?.write) return { code: customCode(operation, where), imports: [] };
  const builtin = isBuiltinOperationKind(operation.kind) && (definition as unknown) === builtinDefinition(operation.kind);
  let written: WrittenOperation;
  try {
    written = callWrite(operation, definition.write.bind(definition), where);
  } catch (error) {
    // A built-in writer refuses arguments its builder never makes: written as data below.
    if (!builtin) throw error;
    written = { code: raw('') };
  }
  if (typeof written.code === 'string') return pluginCode(operation, written, where);
  // A code tree: evaluated here and compared with the operation; when it cannot rebuild the
  // arguments exactly (data made by hand that no builder produces), the operation is written
  // as data with `op.custom`.
  const imports = checkImports(operation, written.imports, where);
  if (rebuilds(written.code, operation)) return { code: written.code, imports };
  return {
    code: commented(`Written as data: op.${operation.kind}() cannot rebuild these arguments exactly.`, customCode(operation, where)),
    imports: [],
  };
}

function customCode(operation: Operation, where: string): Code {
  const code = call('op.custom', literal(operation.kind), valueCode(operation.args, `${where}, ${operation.kind}`));
  if (!rebuilds(code, operation)) {
    throw new CovetError('OPERATION_UNWRITABLE', `Arguments of ${operation.kind} cannot be written exactly (${where})`, {
      hint: 'Operation arguments must be plain data: strings, numbers, booleans, null, arrays and plain objects.',
    });
  }
  return code;
}

function rebuilds(code: Code, operation: Operation): boolean {
  try {
    const rebuilt = evaluateCode(code, CORE_SCOPE) as Operation;
    return rebuilt.kind === operation.kind && sameData(rebuilt.args, operation.args);
  } catch {
    return false;
  }
}

const IMPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Calls a definition's `write`; its failure, or a result without code, is a one-line error naming the kind. */
function callWrite(operation: Operation, write: (args: unknown) => unknown, where: string): WrittenOperation {
  let written: { code?: unknown; imports?: unknown };
  try {
    written = write(operation.args) as typeof written;
  } catch (error) {
    throw new CovetError(
      'OPERATION_UNWRITABLE',
      `write() of ${operation.kind} failed: ${(error as Error)?.message?.split('\n')[0] ?? String(error)} (${where})`,
      { cause: error },
    );
  }
  const code = typeof written === 'object' && written !== null ? written.code : undefined;
  const isTree = typeof code === 'object' && code !== null && typeof (code as { kind?: unknown }).kind === 'string';
  if (!isTree && (typeof code !== 'string' || code.trim() === '')) {
    throw new CovetError('OPERATION_UNWRITABLE', `write() of ${operation.kind} returned no code (${where})`, {
      hint: "Return { code: 'views.createView(...)', imports: [{ from: 'covet-plugin-views', names: ['views'] }] }.",
    });
  }
  return written as WrittenOperation;
}

/** Text code of a plugin's `write`: printed as is, with its imports. */
function pluginCode(operation: Operation, written: WrittenOperation, where: string): OperationCode {
  const imports = checkImports(operation, written.imports, where);
  return { code: raw((written.code as string).trim()), imports };
}

function checkImports(operation: Operation, value: unknown, where: string): readonly CodeImport[] {
  const imports = (value ?? []) as readonly CodeImport[];
  if (!Array.isArray(imports)) {
    throw new CovetError('OPERATION_UNWRITABLE', `write() of ${operation.kind} returned invalid imports (${where})`);
  }
  for (const entry of imports) {
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.from === 'string' &&
      entry.from.length > 0 &&
      Array.isArray(entry.names) &&
      (entry.names as readonly unknown[]).every((name) => typeof name === 'string' && IMPORT_NAME.test(name));
    if (!valid) {
      throw new CovetError('OPERATION_UNWRITABLE', `write() of ${operation.kind} returned an invalid import (${where})`, {
        hint: "Each import is { from: 'package-name', names: ['identifier', ...] }.",
      });
    }
  }
  return imports;
}
