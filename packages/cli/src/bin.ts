#!/usr/bin/env node
import { reportUnhandled, runCli } from './cli.js';

// A promise nobody waited for that fails (custom migration code that did not await a call)
// is reported like any other error, and fails the command, instead of ending the process with
// a raw stack.
process.on('unhandledRejection', reportUnhandled);

runCli(process.argv.slice(2)).then(
  (code) => {
    // A failure reported meanwhile by reportUnhandled stands.
    process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
