export { canonicalName, readArguments, readReply, type ReadCall, type ReadReply, type ToolIndex } from './read-reply.js';
export { reasoningEndsFirst, withoutReasoning } from './reasoning.js';
export { showablePrefix } from './showable.js';
