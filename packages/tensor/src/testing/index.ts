/**
 * @openeurollm/tensor/testing: tools to check operations and backends, for this package's
 * conformance suite and for anyone writing a custom op or a backend.
 */
export {
  assertGradcheck,
  type GradcheckFailure,
  type GradcheckOptions,
  type GradcheckResult,
  gradcheck,
} from './gradcheck.js';
