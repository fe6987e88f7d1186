export { ConsoleAdapter } from './console-adapter.js';
