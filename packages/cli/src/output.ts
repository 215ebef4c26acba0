import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type picocolors from 'picocolors';
import { describeError, isCovetError, redactSecrets } from '@covet/core';

type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * How standard output is attached, from one fstat: a file, a pipe or a socket is written with
 * writeSync, so nothing sets up process.stdout (a stream, a socket handle and a dozen Node
 * modules) for a command that prints a few lines; a terminal goes through process.stdout.
 */
const STDOUT_DIRECT = (() => {
  try {
    // bigint: Node's realpathSync reads the file type of the last (number) stat to stop at a
    // pipe, so a number fstat of a pipe here made later module resolution stop early.
    const stat = fstatSync(1, { bigint: true });
    return stat.isFile() || stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
})();

/** Formatters that leave text as it is (the same shape as picocolors' colours). */
const PLAIN = new Proxy({ isColorSupported: false } as Colors, {
  get: (target, key) => (key in target ? target[key as keyof Colors] : String),
});

/**
 * Whether to colour output: `FORCE_COLOR` (any value but `0` or `false`) colours even a pipe or
 * a file, and wins over `NO_COLOR` as in Node itself; otherwise a non-empty `NO_COLOR` turns
 * colour off (no-color.org); otherwise colour only on a terminal whose TERM is not `dumb`.
 */
export function colorEnabled(env: Readonly<Record<string, string | undefined>>, isTerminal: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTerminal && env.TERM !== 'dumb';
}

/** picocolors' formatters, or plain ones; picocolors is loaded only for colour (importing it reads process.stdout). */
function colorsFor(enabled: boolean): Colors {
  if (!enabled) return PLAIN;
  const pc = createRequire(import.meta.url)('picocolors') as typeof picocolors;
  return pc.createColors(true);
}

/** Where commands print: plain text when piped, colour on a terminal; secrets always redacted. */
export interface Output {
  readonly colors: Colors;
  readonly verbose: boolean;
  line(text?: string): void;
  error(text: string): void;
  debug(text: string): void;
}

/**
 * Standard output, coalescing the lines written within one turn of the event loop into one
 * write (a write to a pipe is synchronous: one per applied migration adds up over hundreds).
 */
function bufferedStdout(): { write: (text: string) => void; flush: () => void } {
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    writeStdout(text);
  };
  process.once('beforeExit', flush);
  return {
    write: (text: string) => {
      if (pending === '') setImmediate(flush);
      pending += text;
      if (pending.length > 64 * 1024) flush();
    },
    flush,
  };
}

/** Set when the reader of a pipe went away (`covet ... | head`): the rest of the output is dropped. */
let stdoutClosed = false;

/**
 * Writes to standard output: directly to a file or a pipe (a pipe another process made
 * non-blocking may take part of it, or none: the rest then goes through process.stdout). A
 * closed pipe is not an error of the command, which goes on.
 */
function writeStdout(text: string): void {
  if (stdoutClosed) return;
  if (STDOUT_DIRECT) {
    const bytes = Buffer.from(text);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(1, bytes, written);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        stdoutClosed = true;
        return;
      }
      if (code !== 'EAGAIN') throw error;
    }
    process.stdout.write(bytes.subarray(written));
    return;
  }
  process.stdout.write(text);
}

/**
 * Creates where a command prints: `stdout` / `stderr` (default the process's streams), colour as
 * {@link colorEnabled} decides from `env` (default `process.env`) and whether standard output
 * is a terminal.
 */
export function createOutput(
  options: { verbose?: boolean; stdout?: (text: string) => void; stderr?: (text: string) => void; env?: Readonly<Record<string, string | undefined>> } = {},
): Output {
  const colors = colorsFor(colorEnabled(options.env ?? process.env, !options.stdout && !STDOUT_DIRECT && process.stdout.isTTY === true));
  const buffered = options.stdout ? undefined : bufferedStdout();
  const stdout = options.stdout ?? buffered!.write;
  // Whatever stdout holds goes out first, so the two streams stay in order on a terminal.
  const stderr =
    options.stderr ??
    ((text: string) => {
      buffered?.flush();
      process.stderr.write(text);
    });
  const verbose = options.verbose === true;
  return {
    colors,
    verbose,
    line: (text = '') => stdout(`${redactSecrets(text)}\n`),
    error: (text) => stderr(`${redactSecrets(text)}\n`),
    debug: (text) => {
      if (verbose) stderr(`${colors.dim(redactSecrets(text))}\n`);
    },
  };
}

/** Prints an error as `error: ...` and `hint: ...`; the stack only with `--verbose`. Returns the exit code. */
export function reportError(output: Output, error: unknown): number {
  const { colors: c } = output;
  output.error(`${c.red('error:')} ${describeError(error)}`);
  if (isCovetError(error) && error.hint) output.error(`${c.yellow('hint:')} ${redactSecrets(error.hint)}`);
  if (output.verbose && error instanceof Error && error.stack) {
    output.error(c.dim(redactSecrets(error.stack)));
    let cause = (error as { cause?: unknown }).cause;
    while (cause instanceof Error) {
      output.error(c.dim(`caused by: ${redactSecrets(cause.stack ?? cause.message)}`));
      cause = (cause as { cause?: unknown }).cause;
    }
  }
  if (isCovetError(error)) return error.exitCode;
  return 1;
}

/** `12 ms`, `1.4 s`. */
export function formatDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.max(0, Math.round(milliseconds))} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}
