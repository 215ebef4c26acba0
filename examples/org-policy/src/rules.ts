import type { PolicyOptions } from '@covet/plugin-policy';
import type { AcmeNamingOptions } from './naming.js';

// Acme's migration policy, in one place. Every Acme project lists '@acme/covet-preset' and gets
// these rules; a change here, once released, changes what `covet lint`, `makemigrations` and
// `migrate` say in every project at its next install.

/** The options Acme gives `@covet/plugin-policy` (its README lists every rule). */
export const POLICY_OPTIONS: PolicyOptions = {
  rules: {
    destructive: 'error',
    'data-dependent': 'error',
    'backward-incompatible': 'error',
    naming: ['error', { table: '^[a-z][a-z0-9_]*$', column: '^[a-z][a-z0-9_]*$', index: '_(idx|key)$' }],
    'run-sql-reverse': 'error',
    'max-tables': ['error', { max: 4 }],
    'foreign-key-index': 'warn',
  },
};

/** The options of Acme's own naming plugin (`./naming.ts`). */
export const NAMING_OPTIONS: AcmeNamingOptions = {
  level: 'error',
  booleanPrefixes: ['is_', 'has_'],
  foreignKeySuffix: '_id',
};
