// @acme/covet-preset: what an organization publishes so that every project gets the same
// migration policy by listing one package: plugins: ['@acme/covet-preset'].
import { definePreset } from '@covet/core';
// The named export: a default import of a CommonJS build is the whole module under Node's rules.
import { policy } from '@covet/plugin-policy';
import { acmeNaming } from './naming.js';
import { NAMING_OPTIONS, POLICY_OPTIONS } from './rules.js';

export { acmeNaming, NAMING_PLUGIN_NAME } from './naming.js';
export type { AcmeNamingOptions } from './naming.js';
export { NAMING_OPTIONS, POLICY_OPTIONS } from './rules.js';

/**
 * Acme's preset: `@covet/plugin-policy` with Acme's rules, and Acme's naming plugin. A project
 * that also lists `['@covet/plugin-policy', POLICY_OPTIONS]` gets the policy once (equal
 * options give one plugin); with other options, Covet names both and stops.
 */
export default definePreset({
  name: '@acme/covet-preset',
  plugins: [
    [policy, POLICY_OPTIONS],
    [acmeNaming, NAMING_OPTIONS],
  ],
});
