/** Defines the README examples suite for the package whose test file is at `testFileUrl`. */
export function readmeExamplesSuite(testFileUrl: string): void;
