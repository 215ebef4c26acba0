#!/usr/bin/env node
// A committed launcher, so package managers can link `covet` before the package is built. It
// runs the CommonJS build: Node starts it faster, and it shares one copy of @covet/core with
// the config and migration files, which are evaluated as CommonJS. Modules are compiled with
// V8's code cache (see compile-cache.cjs), and package names resolved through their `exports`
// without Node's ES module resolver where that is certain (see package-resolve.cjs).
require('./compile-cache.cjs').enableCompileCache();
require('./package-resolve.cjs').installPackageResolve();
require('../dist/bin.cjs');
