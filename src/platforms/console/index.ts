export { ConsoleAdapter, type ConsoleEnd } from './console-adapter.js';
export { ConsoleScreen } from './console-screen.js';
