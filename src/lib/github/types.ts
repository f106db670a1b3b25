/**
 * The GitHub operations the suite needs, as plain data. Commands see only `GitHubClient`, never Octokit, so a test can
 * count calls and a command reads as what it does. Expected races come back as typed results (`kind`), not as errors
 * to match by text.
 */

export interface RepositoryRef {
  readonly owner: string;
  readonly repo: string;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface RepositoryInfo {
  /** GraphQL node id. */
  readonly id: string;
  readonly nameWithOwner: string;
  readonly url: string;
  readonly defaultBranch: string | undefined;
  readonly autoMergeAllowed: boolean;
  readonly mergeCommitAllowed: boolean;
  readonly squashMergeAllowed: boolean;
  readonly rebaseMergeAllowed: boolean;
  readonly deleteBranchOnMerge: boolean;
  /** ADMIN, MAINTAIN, WRITE, TRIAGE or READ (the token's role on the repository). */
  readonly viewerPermission: string | undefined;
}

export interface CommitSummary {
  readonly oid: string;
  /** The full commit message (trailers included). */
  readonly message: string;
  readonly authorName: string | undefined;
  readonly authorEmail: string | undefined;
  /** The GitHub login behind the committer, when GitHub knows it. */
  readonly committerLogin: string | undefined;
  readonly committerEmail: string | undefined;
  /** Signed and verified by GitHub (createCommitOnBranch commits are). */
  readonly verified: boolean;
}

export interface AutoMergeInfo {
  readonly method: MergeMethod;
  readonly enabledAt: string | undefined;
  readonly enabledBy: string | undefined;
}

export interface ReviewInfo {
  readonly login: string;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING. */
  readonly state: string;
}

export interface PullRequestInfo {
  /** GraphQL node id (REST `node_id`): what the auto-merge and queue mutations take. */
  readonly id: string;
  readonly number: number;
  readonly url: string;
  readonly title: string;
  readonly body: string;
  readonly isDraft: boolean;
  /** OPEN, CLOSED or MERGED. */
  readonly state: string;
  readonly headRefName: string;
  readonly baseRefName: string;
  readonly headRefOid: string;
  /** CLEAN, BLOCKED, BEHIND, DIRTY, UNSTABLE, HAS_HOOKS, DRAFT, UNKNOWN. */
  readonly mergeStateStatus: string;
  readonly autoMerge: AutoMergeInfo | undefined;
  readonly isInMergeQueue: boolean;
  readonly labels: readonly string[];
  readonly requestedReviewers: readonly string[];
  readonly requestedTeams: readonly string[];
  /** Each reviewer's latest review. */
  readonly latestReviews: readonly ReviewInfo[];
  readonly assignees: readonly string[];
  readonly milestone: { readonly number: number; readonly title: string } | undefined;
  readonly author: string | undefined;
  /** Commits on the PR (head not in base). */
  readonly commitCount: number;
  /** The head commit (the last of the PR's commits). */
  readonly headCommit: CommitSummary | undefined;
}

/** What one read gives the promotion command: the repository, both branch tips and the open PR between them. */
export interface PullRequestLookup {
  readonly repository: RepositoryInfo;
  /** undefined when the branch does not exist. */
  readonly headOid: string | undefined;
  readonly baseOid: string | undefined;
  /** True when `base` uses a merge queue. */
  readonly baseUsesMergeQueue: boolean;
  readonly pullRequest: PullRequestInfo | undefined;
}

/** `readPromotionState`: the lookup plus what open-promotion-pr decides on, all from one request. */
export interface PromotionState extends PullRequestLookup {
  /** Who the token acts as (`github-actions[bot]` for the workflow's GITHUB_TOKEN). */
  readonly viewerLogin: string;
  /** The head branch's tip: its message and parents (undefined when the branch does not exist). */
  readonly headTip: { readonly oid: string; readonly message: string; readonly parents: readonly string[] } | undefined;
  /** path -> text at the base tip (undefined when missing or binary). */
  readonly baseFiles: ReadonlyMap<string, string | undefined>;
  /** path -> text at the head tip (undefined when missing, binary, or the branch does not exist). */
  readonly headFiles: ReadonlyMap<string, string | undefined>;
  /** The asked-for labels that exist in the repository (as GitHub spells them). */
  readonly existingLabels: readonly string[];
  readonly milestones: readonly { readonly number: number; readonly title: string }[];
  /** Open PRs carrying the tracking label, newest first. */
  readonly tracked: readonly PullRequestInfo[];
}

export interface CreatedPullRequest {
  readonly number: number;
  readonly id: string;
  readonly url: string;
  readonly headSha: string;
}

export type CreatePullRequestResult =
  | { readonly kind: 'created'; readonly pullRequest: CreatedPullRequest }
  /** Another run created it first (the expected race): read it again. */
  | { readonly kind: 'already-exists' }
  /** Head has no commit that base lacks (head and base equal). */
  | { readonly kind: 'no-commits' };

export interface FileAddition {
  readonly path: string;
  readonly contents: string | Uint8Array;
}

export interface CommitFilesInput {
  readonly branch: string;
  /** The branch tip the change was computed on: the optimistic lock. */
  readonly expectedHeadOid: string;
  readonly message: { readonly headline: string; readonly body?: string };
  readonly additions?: readonly FileAddition[];
  readonly deletions?: readonly string[];
}

export type CommitFilesResult =
  | { readonly kind: 'committed'; readonly oid: string; readonly url: string }
  /** The branch moved since it was read: re-read, rebuild, retry (bounded). */
  | { readonly kind: 'stale-head'; readonly expectedHeadOid: string };

export type CreateBranchResult = { readonly kind: 'created' } | { readonly kind: 'already-exists' };
export type UpdateBranchResult =
  | { readonly kind: 'updated' }
  | { readonly kind: 'not-fast-forward' }
  /** GitHub's sporadic "Reference update failed" (a concurrent update of the same ref): re-read and retry. */
  | { readonly kind: 'update-failed' };

export type EnableAutoMergeResult =
  | { readonly kind: 'enabled'; readonly method: MergeMethod }
  /** The repository does not allow auto-merge (`allow_auto_merge`, off by default). */
  | { readonly kind: 'not-allowed' }
  /** Nothing to wait for: the PR can be merged now (GitHub's "clean status" / "unstable status"). */
  | { readonly kind: 'already-mergeable'; readonly status: string }
  | { readonly kind: 'stale-head' };

export type EnqueueResult = { readonly kind: 'queued'; readonly position: number | undefined } | { readonly kind: 'stale-head' };

export type MergeResult =
  | { readonly kind: 'merged'; readonly sha: string }
  | { readonly kind: 'head-moved' }
  | { readonly kind: 'requires-merge-queue' }
  | { readonly kind: 'not-mergeable'; readonly reason: string };

/** Why GitHub would not request a review from one reviewer. */
export type ReviewRefusal = 'team-not-visible' | 'review-from-author' | 'not-collaborator';

export interface ReviewRequestOutcome {
  /** The reviewers GitHub now shows as requested (of those asked for). */
  readonly requested: { readonly users: readonly string[]; readonly teams: readonly string[] };
  /** Those GitHub refused, each with the sentence saying why and what to do. */
  readonly refused: readonly { readonly name: string; readonly team: boolean; readonly reason: ReviewRefusal; readonly sentence: string }[];
}

export interface TokenIdentity {
  readonly login: string;
  /** The workflow's GITHUB_TOKEN (`github-actions[bot]`): its pushes and PRs start no workflow runs. */
  readonly isGitHubActions: boolean;
  readonly isBot: boolean;
}

export interface ComparisonInfo {
  readonly status: 'ahead' | 'behind' | 'identical' | 'diverged';
  readonly aheadBy: number;
  readonly behindBy: number;
}

export interface GitHubClient {
  readonly repository: RepositoryRef;
  repositoryInfo(): Promise<RepositoryInfo>;
  /** The commit a branch points to, or undefined when it does not exist. */
  branchHead(branch: string): Promise<string | undefined>;
  /** Files at a ref, in one request: path -> text (undefined when missing or binary). */
  readFiles(ref: string, paths: readonly string[]): Promise<Map<string, string | undefined>>;
  /** ONE GraphQL query: repository, both tips, merge queue, and the open PR from `head` into `base`. */
  findOpenPullRequest(options: { head: string; base: string }): Promise<PullRequestLookup>;
  /** ONE GraphQL query: everything a promotion decides on (see PromotionState). */
  readPromotionState(input: { head: string; base: string; files: readonly string[]; labels: readonly string[]; trackingLabel: string }): Promise<PromotionState>;
  /** Open PRs carrying `label` (into `base` when given), newest first. */
  listOpenPullRequestsByLabel(label: string, options?: { base?: string }): Promise<PullRequestInfo[]>;
  createPullRequest(input: { head: string; base: string; title: string; body: string; draft?: boolean; maintainerCanModify?: boolean }): Promise<CreatePullRequestResult>;
  /** Sends only the given fields; no request at all when none is given. */
  updatePullRequest(number: number, fields: { title?: string; body?: string; base?: string; state?: 'open' | 'closed' }): Promise<void>;
  closePullRequest(number: number): Promise<void>;
  comment(number: number, body: string): Promise<void>;
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  /** Removes a label; a label that is not on the PR is no error. */
  removeLabel(number: number, label: string): Promise<void>;
  /** Creates the label with this colour unless it exists (a concurrent creation is fine). Returns true when created. */
  ensureLabel(name: string, color: string, description?: string): Promise<boolean>;
  /** Creates a label (no read first); false when it exists already (a concurrent creation is fine). */
  createLabel(name: string, color: string, description?: string): Promise<boolean>;
  /** Sets labels, assignees and milestone of an issue or PR in one request (they REPLACE what is there); nothing when none is given. */
  updateIssue(number: number, fields: { labels?: readonly string[]; assignees?: readonly string[]; milestone?: number | null }): Promise<void>;
  /**
   * Requests reviews. A reviewer GitHub refuses (a team the token cannot see, the author, a non-collaborator) does not
   * stop the others: the request is retried one reviewer at a time and the refused ones are reported, not thrown.
   */
  requestReviewers(number: number, reviewers: { users?: readonly string[]; teams?: readonly string[] }): Promise<ReviewRequestOutcome>;
  removeRequestedReviewers(number: number, reviewers: { users?: readonly string[]; teams?: readonly string[] }): Promise<void>;
  addAssignees(number: number, logins: readonly string[]): Promise<void>;
  /** Milestone number by title (open milestones), or undefined. */
  findMilestone(title: string): Promise<number | undefined>;
  setMilestone(number: number, milestone: number | null): Promise<void>;
  createBranch(branch: string, sha: string): Promise<CreateBranchResult>;
  updateBranch(branch: string, sha: string, options?: { force?: boolean }): Promise<UpdateBranchResult>;
  /** Deletes a branch; false when it did not exist. */
  deleteBranch(branch: string): Promise<boolean>;
  compare(base: string, head: string): Promise<ComparisonInfo>;
  /** One verified commit through GraphQL createCommitOnBranch (the branch must exist). */
  commitFiles(input: CommitFilesInput): Promise<CommitFilesResult>;
  enableAutoMerge(input: { pullRequestId: string; method: MergeMethod; expectedHeadOid?: string }): Promise<EnableAutoMergeResult>;
  disableAutoMerge(pullRequestId: string): Promise<void>;
  /** GraphQL convertPullRequestToDraft / markPullRequestReadyForReview. */
  setDraft(pullRequestId: string, draft: boolean): Promise<void>;
  enqueue(input: { pullRequestId: string; expectedHeadOid?: string }): Promise<EnqueueResult>;
  merge(input: { number: number; method: MergeMethod; sha?: string }): Promise<MergeResult>;
  tokenIdentity(): Promise<TokenIdentity>;
}
