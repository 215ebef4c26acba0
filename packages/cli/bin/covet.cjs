#!/usr/bin/env node
// A committed launcher, so package managers can link `covet` before the package is built. It
// runs the CommonJS build: Node starts it faster, and it shares one copy of @covet/core with
// the config and migration files, which are evaluated as CommonJS. Modules are compiled with
// V8's code cache (see compile-cache.cjs).
require('./compile-cache.cjs').enableCompileCache();
require('../dist/bin.cjs');
