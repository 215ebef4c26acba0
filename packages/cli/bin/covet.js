#!/usr/bin/env node
// A committed launcher, so package managers can link `covet` before the package is built.
import '../dist/bin.js';
