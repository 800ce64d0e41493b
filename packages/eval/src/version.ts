/** This package's version (test/package.test.ts checks it against package.json). */
export const EVAL_VERSION = '0.1.0';
