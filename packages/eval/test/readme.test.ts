/** The README's examples run as written against dist/, from ESM and CommonJS (scripts/readme-examples.mjs). */
import { readmeExamplesSuite } from '../../../scripts/readme-examples.mjs';

readmeExamplesSuite(import.meta.url);
