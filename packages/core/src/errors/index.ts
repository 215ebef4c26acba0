export {
  CovetError,
  isCovetError,
  describeError,
  redactSecrets,
  EXIT_LOCK_TIMEOUT,
  EXIT_CHECKSUM_MISMATCH,
} from './covet-error.js';
