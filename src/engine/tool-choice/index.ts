export { FIND_TOOLS, FIND_TOOLS_RESULTS, foundToolsText, isFindTools } from './find-tools.js';
export { chooseTools, stableOrder, type ToolBudget } from './offered-tools.js';
export { ToolSearch } from './tool-search.js';
export { toolsUsedIn } from './used-tools.js';
export { TurnTools, type Offer } from './turn-tools.js';
