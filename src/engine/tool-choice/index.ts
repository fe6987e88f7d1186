export { CatalogRanking, type TurnQuery } from './catalog-ranking.js';
export { FIND_TOOLS, FIND_TOOLS_RESULTS, foundToolsText, isFindTools } from './find-tools.js';
export { rankedOffer, stableOrder, wholeCatalogOffer, type Offer, type ToolBudget } from './offered-tools.js';
export { ToolEmbeddings } from './tool-embeddings.js';
export { toolsUsedIn } from './used-tools.js';
export { TurnTools } from './turn-tools.js';
