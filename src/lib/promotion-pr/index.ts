/** Promotion pull requests: open-promotion-pr's logic, reused by rollback for its rollback PRs. */
export * from './promote.ts';
export { promotionBody, readMarker, evaluationSection, BODY_LIMIT, type PromotionFacts, type PromotionMarker } from './body.ts';
export { revisionSource, updatePaths, repositoryPath } from './source.ts';
export { branchInput, branchProblem } from './branch.ts';
