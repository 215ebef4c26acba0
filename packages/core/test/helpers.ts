import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCovetError, type CovetError } from '../src/errors/covet-error.js';

/** Folder for temporary files of the tests; inside the package so `@covet/core` resolves. */
export const TMP_ROOT = join(dirname(fileURLToPath(import.meta.url)), '.tmp');

/** A new empty folder below {@link TMP_ROOT}; remove it with {@link removeTempDir}. */
export function makeTempDir(prefix: string): string {
  mkdirSync(TMP_ROOT, { recursive: true });
  return mkdtempSync(join(TMP_ROOT, `${prefix}-`));
}

export function removeTempDir(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

/** Runs `fn` and returns the CovetError it throws; fails when it throws nothing or something else. */
export function covetErrorOf(fn: () => unknown): CovetError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error('expected a CovetError, nothing was thrown');
  if (!isCovetError(thrown)) throw new Error(`expected a CovetError, got ${String(thrown)}`);
  expectOneLine(thrown.message);
  return thrown;
}

/** Awaits `promise` and returns the CovetError it rejects with. */
export async function covetRejectionOf(promise: Promise<unknown>): Promise<CovetError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error('expected a CovetError, the promise resolved');
  if (!isCovetError(thrown)) throw new Error(`expected a CovetError, got ${String(thrown)}`);
  expectOneLine(thrown.message);
  return thrown;
}

function expectOneLine(message: string): void {
  if (/[\r\n]/.test(message)) throw new Error(`error message is not one line: ${JSON.stringify(message)}`);
}
