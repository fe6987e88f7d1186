export { canonicalName, readArguments, readReply, type ReadCall, type ReadReply, type ToolIndex } from './read-reply.js';
export { withoutReasoning } from './reasoning.js';
